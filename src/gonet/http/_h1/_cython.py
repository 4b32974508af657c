"""Stand-in for the ``cython`` module when gonet.http runs as plain Python.

The request path's modules are compiled by Cython in pure-Python mode when a
compiler is available (see ``setup.py``); they test ``cython.compiled`` to
choose between C-level helpers (declared in the ``.pxd`` beside them) and
plain-Python twins. Compiled, ``import cython`` is resolved by Cython itself;
as plain Python it needs the Cython package, which is only a build
dependency, so without it this module answers. (gonet.http sits above the
facade and may not import the core's own stand-in.)
"""

compiled = False
