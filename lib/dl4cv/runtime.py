"""Process-wide settings that only act if applied before NumPy and Numba start.

Imported first by ``dl4cv/__init__.py``. Every value is set with ``os.environ.setdefault``
semantics: a value the user already set is never overridden.

Threads (see ``docs/fast_layers.md``): on the course's 2-core machines, Numba's thread pool and
OpenBLAS's must not spin against each other. We pick Numba's ``workqueue`` threading layer,
whose idle workers sleep instead of spinning, is fork-safe (the grader forks workers), and
touches no other library (``OMP_WAIT_POLICY`` would also change PyTorch's or MKL's OpenMP).
It must not be entered by two threads at once: dl4cv's parallel (``prange``) kernels keep the
GIL, so Python threads calling them are serialised; only the serial Winograd transforms release
it (``nogil=True``), and ``dl4cv.parallel`` runs those on its worker threads.

Cache: Numba writes compiled kernels beside their source (``__pycache__``). When that folder
is not writable (a read-only install on a shared JupyterHub, a grading sandbox), kernels are
cached in a per-user directory instead, or in the temporary directory as a last resort.
"""
import os
import tempfile

#: Environment defaults applied at import; see the module docstring for the reasons.
THREAD_DEFAULTS = {"NUMBA_THREADING_LAYER": "workqueue"}


def _writable(directory):
    """True if files can be created in ``directory`` (created if missing)."""
    try:
        os.makedirs(directory, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError:
        return False
    return True


def _user_cache_dir():
    """The per-user Numba cache folder for dl4cv (platformdirs; no NumPy involved)."""
    import platformdirs

    return os.path.join(platformdirs.user_cache_dir("dl4cv"), "numba")


def numba_cache_dir(kernel_dir=None):
    """Where Numba should cache dl4cv's kernels, or None if beside the source is fine.

    kernel_dir: the folder holding the kernel modules (default: ``dl4cv/kernels``).
    """
    if kernel_dir is None:
        kernel_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")
    if _writable(os.path.join(kernel_dir, "__pycache__")):
        return None
    for candidate in (
        _user_cache_dir(),
        os.path.join(tempfile.gettempdir(), f"dl4cv-numba-{getattr(os, 'getuid', lambda: 0)()}"),
    ):
        if _writable(candidate):
            return candidate
    return None


def configure():
    """Apply the thread defaults and a writable ``NUMBA_CACHE_DIR`` (never overriding the user)."""
    for name, value in THREAD_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if "NUMBA_CACHE_DIR" not in os.environ:
        cache = numba_cache_dir()
        if cache is not None:
            os.environ["NUMBA_CACHE_DIR"] = cache


configure()
