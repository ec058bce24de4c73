"""Process-wide settings that only act if applied before NumPy and Numba start.

Imported first by ``dl4cv/__init__.py``. Values the user already set are never overridden.
"""
import os

# Numba's on-disk cache must be writable; a read-only install (shared JupyterHub) falls back
# to a per-user cache directory.
if "NUMBA_CACHE_DIR" not in os.environ:
    _pkg_dir = os.path.dirname(os.path.abspath(__file__))
    if not os.access(_pkg_dir, os.W_OK):
        os.environ["NUMBA_CACHE_DIR"] = os.path.join(
            os.path.expanduser("~"), ".cache", "dl4cv", "numba"
        )
