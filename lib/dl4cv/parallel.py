"""Run independent parts of a layer on all cores, each part with single-threaded BLAS.

A Winograd convolution is dozens of small GEMMs (K = C = 64 on case C) between serial Numba
transforms. OpenBLAS gains nothing from its second thread on such GEMMs (case C's 36 GEMMs of
64x64 by 64x1024: 45 GFLOP/s with 2 threads, 43 with 1), and the serial transforms leave a core
idle. Splitting the images between worker threads, each running its share of transforms and
GEMMs with BLAS limited to one thread, keeps both cores busy (the GEMMs alone: 67 GFLOP/s).
The kernels the workers call must release the GIL (``nogil=True``); NumPy's matmul does.

The worker pool is created on first use, sized by ``numba.get_num_threads()`` (so
``numba.set_num_threads`` and ``NUMBA_NUM_THREADS`` apply), and dropped in a forked child, whose
copy of the pool has no threads.
"""
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

import numba
from threadpoolctl import ThreadpoolController

_POOL = {}  # workers -> ThreadPoolExecutor
_BLAS = []  # [ThreadpoolController], created on first use (after NumPy has loaded its BLAS)

os.register_at_fork(after_in_child=_POOL.clear)


def workers():
    """How many parts to split a layer into: Numba's thread count."""
    return numba.get_num_threads()


def single_blas(active=True):
    """A context in which BLAS runs single-threaded (a no-op context if not active).

    Every BLAS call of a split layer belongs inside: after a call with two BLAS threads,
    OpenBLAS's idle thread keeps spinning on a core for a while and slows the workers down
    (case C float32 fwd+bwd: 46-54 ms with the filter transforms outside, 27-29 ms inside)."""
    if not active:
        return contextlib.nullcontext()
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def run_parts(fn, parts):
    """[fn(part) for part in parts], the parts in parallel worker threads (in the calling thread
    if there is only one). Call it inside ``single_blas(len(parts) > 1)``."""
    if len(parts) <= 1:
        return [fn(part) for part in parts]
    if len(parts) not in _POOL:
        _POOL[len(parts)] = ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="dl4cv")
    return list(_POOL[len(parts)].map(fn, parts))
