"""dl4cv: the shared library of the dl4cv course (NumPy + Numba, no deep-learning framework).

Submodules are imported on demand (``import dl4cv.data``) so that ``import dl4cv`` stays fast.
"""
from dl4cv import runtime  # noqa: F401  (must run before NumPy or Numba start)

__version__ = "0.1.0"
