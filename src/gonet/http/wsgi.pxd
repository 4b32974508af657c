# Cython declarations augmenting wsgi.py (pure-Python mode). See setup.py.
