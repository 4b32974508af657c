"""Stand-in for the ``cython`` module when gonet runs as plain Python.

The hot modules are compiled by Cython in pure-Python mode when a compiler
is available (see ``setup.py``). They test ``cython.compiled`` to choose
between their C-level helpers (declared in the ``.pxd`` beside them) and the
plain-Python twins. Compiled, ``import cython`` is resolved by Cython itself;
as plain Python it needs the Cython package — which is only a build
dependency — so without it this module answers instead.
"""

compiled = False
