"""Numba kernels behind dl4cv's fast layers and features.

One operation per module, each with a plain NumPy reference of the same operation beside it
(``*_ref``) that the tests compare against. Kernels are compiled with ``cache=True`` (see
``dl4cv.runtime`` for the cache folder and thread settings) and run as plain Python under
``NUMBA_DISABLE_JIT=1``. Large outputs are allocated by the NumPy-side wrappers, never inside
``@njit`` code. A function is compiled either serial or ``parallel=True``, never both (Numba's
cache does not key on ``parallel=``).
"""
