"""Stand-in for the ``cython`` module when gonet.tls runs as plain Python.

The TLS hot path (``conn.py``, ``lock.py``, ``readbuf.py``, ``record.py``,
``info.py``) is compiled by Cython in pure-Python mode when a compiler is
available (see ``setup.py``); ``lock.py`` tests ``cython.compiled`` to choose
between a C helper declared in ``lock.pxd`` and its plain-Python twin.
Compiled, ``import cython`` is resolved by Cython itself; as plain Python it
needs the Cython package, which is only a build dependency, so without it
this module answers. (gonet.tls sits above the facade and may not import the
core's own stand-in, nor gonet.http's.)
"""

compiled = False
