"""Build gonet; compile its hot path with Cython when a C compiler is available.

The compiled modules are the plain ``.py`` files of the hot path, compiled by
Cython in pure-Python mode with the ``.pxd`` files beside them adding C types
(as gevent does). Nothing else is a second source of truth: without a
compiler, or with ``GONET_PURE_PYTHON=1`` at build time, gonet installs as
plain Python. At run time ``GONET_PURE_PYTHON=1`` selects the plain modules
even when compiled ones exist (see ``gonet/_build.py``).

A successful build writes ``gonet/_build_record.json`` beside the extensions:
a digest of the ``.py`` and ``.pxd`` each was compiled from, which an
in-place checkout checks at import time to notice a stale build.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import types

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")


def _load_build_module() -> types.ModuleType:
    """gonet/_build.py on its own (a standard-library-only leaf), not the gonet package.

    Importing ``gonet._build`` would run ``gonet/__init__.py`` first, which
    selects a build and imports the very modules being built.
    """
    spec = importlib.util.spec_from_file_location("_gonet_build", os.path.join(SRC, "gonet", "_build.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_build = _load_build_module()
BUILD_RECORD: str = _build.BUILD_RECORD
COMPILED_MODULES: tuple[str, ...] = _build.COMPILED_MODULES
source_digests = _build.source_digests


class OptionalBuildExt(build_ext):
    """build_ext that leaves gonet plain Python when any extension fails to build.

    All or nothing: the compiled modules share C types, so a partial build
    could not be imported together with plain-Python siblings.
    """

    def finalize_options(self) -> None:
        super().finalize_options()
        if not self.parallel:
            # The modules are independent C files: one compiler per core (``-j``).
            self.parallel = os.cpu_count() or 1

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # no compiler, missing headers ...
            self._give_up(e)
            return
        if self.extensions:
            self._write_build_record()

    def _record_path(self) -> str:
        # Beside the extensions: src/gonet in place, build/lib.../gonet for a wheel.
        return os.path.join(os.path.dirname(self.get_ext_fullpath("gonet._build")), BUILD_RECORD)

    def _write_build_record(self) -> None:
        """Records what the extensions were compiled from (see gonet/_build.py)."""
        import Cython

        record = {"cython": Cython.__version__, "modules": source_digests(SRC)}
        path = self._record_path()
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)

    def get_outputs(self) -> list[str]:
        outputs: list[str] = super().get_outputs()
        return [*outputs, self._record_path()] if self.extensions else outputs

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as e:
            self._give_up(e)
            raise

    def _give_up(self, e: Exception) -> None:
        sys.stderr.write(f"gonet: building the compiled hot path failed ({e}); "
                         "gonet will run as plain Python\n")
        for path in [self.get_ext_fullpath(ext.name) for ext in self.extensions] + [self._record_path()]:
            if os.path.exists(path):
                os.remove(path)


def _in_place_build_is_stale() -> bool:
    """Whether the sources changed since the in-place build recorded them.

    Cython decides what to regenerate by file times; a source whose content
    changed but whose time did not move forward (``cp -p``, some checkouts)
    would keep its old C file and, recorded anew, pass for up to date.
    """
    try:
        with open(os.path.join(SRC, "gonet", BUILD_RECORD), encoding="utf-8") as f:
            recorded = json.load(f).get("modules")
    except (OSError, ValueError, AttributeError):
        return False  # no in-place build recorded: Cython's own checks decide
    return bool(recorded != source_digests(SRC))


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
    # -fno-plt: calls into libpython, greenlet and libc go through the GOT instead of a
    # PLT stub each; the stubs are code too, and a select ping-pong's loop no longer fits
    # the L1 instruction cache (cachegrind --cache-sim=yes: ping-pong 91 -> 51 I1 misses
    # per round trip, select 296 -> 270, the same instruction counts; bench/README.md).
    exts = [Extension(name, [os.path.join("src", *name.split(".")) + ".py"],
                      include_dirs=include, extra_compile_args=["-O2", "-fno-plt"])
            for name in COMPILED_MODULES]
    return cythonize(exts, language_level=3, quiet=True, force=_in_place_build_is_stale(),
                     compiler_directives={
                         # The .pxd files carry the C types; annotations are for mypy.
                         "annotation_typing": False,
                         # Plain method descriptors: CPython specialises calls to them.
                         "binding": False,
                         "embedsignature": True,
                         "embedsignature.format": "clinic",
                     })


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
