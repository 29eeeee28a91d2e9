"""The numba kernels (numpy in, numpy out; every function ``*_nb``).

Importing this package first registers ``cache.FamilyLocator``, so that every hedgelab function
cached on disk (``@njit(cache=True)``, all defined in modules imported after this one) is stamped
with the contents of all the files its compiled code may contain, not its own file only.
"""
from hedgelab.engine.nb import cache as _cache

_cache.register()
