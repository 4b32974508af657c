"""Build gonet; compile its hot path with Cython when a C compiler is available.

The compiled modules are the plain ``.py`` files of the hot path, compiled by
Cython in pure-Python mode with the ``.pxd`` files beside them adding C types
(as gevent does). Nothing else is a second source of truth: without a
compiler, or with ``GONET_PURE_PYTHON=1`` at build time, gonet installs as
plain Python. At run time ``GONET_PURE_PYTHON=1`` selects the plain modules
even when compiled ones exist (see ``gonet/_build.py``).
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))
from gonet._build import COMPILED_MODULES


class OptionalBuildExt(build_ext):
    """build_ext that leaves gonet plain Python when any extension fails to build.

    All or nothing: the compiled modules share C types, so a partial build
    could not be imported together with plain-Python siblings.
    """

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # no compiler, missing headers ...
            self._give_up(e)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as e:
            self._give_up(e)
            raise

    def _give_up(self, e: Exception) -> None:
        sys.stderr.write(f"gonet: building the compiled hot path failed ({e}); "
                         "gonet will run as plain Python\n")
        for ext in self.extensions:
            path = self.get_ext_fullpath(ext.name)
            if os.path.exists(path):
                os.remove(path)


def extensions() -> list[Extension]:
    """extensions are the Cython-compiled hot modules, or none when that cannot work."""
    if os.environ.get("GONET_PURE_PYTHON"):
        return []
    try:
        import greenlet
        from Cython.Build import cythonize
    except ImportError:
        return []
    include = [os.path.dirname(greenlet.__file__)]  # greenlet.h: greenlet's C API
    exts = [Extension(name, [os.path.join("src", *name.split(".")) + ".py"],
                      include_dirs=include, extra_compile_args=["-O2"])
            for name in COMPILED_MODULES]
    return cythonize(exts, language_level=3, quiet=True,
                     compiler_directives={
                         # The .pxd files carry the C types; annotations are for mypy.
                         "annotation_typing": False,
                         # Plain method descriptors: CPython specialises calls to them.
                         "binding": False,
                         "embedsignature": True,
                         "embedsignature.format": "clinic",
                     })


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
