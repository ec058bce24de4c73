"""Compile (or load from the cache) every Numba kernel for the dtypes the course uses.

Run once after installing (``setup.sh`` does): ``python -m dl4cv.warmup``. Later processes
then load machine code from Numba's cache in well under a second instead of compiling.
"""
import importlib
import pkgutil
import sys
import time

import numpy as np

import dl4cv.kernels
from dl4cv import fast_layers as fl
from dl4cv.features import color_histogram_hsv, hog_feature
from dl4cv.kernels.distances import pairwise_sq_dists

DTYPES = (np.float32, np.float64)


def _steps():
    """The exercises, each a function of a dtype that runs some fast layers once on tiny data."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 5, 6, 6))

    def conv(channels, HH, WW, conv_param):
        def run(dtype):
            w = rng.standard_normal((2, channels, HH, WW)).astype(dtype)
            out, cache = fl.conv_forward_fast(x[:, :channels].astype(dtype), w,
                                              np.zeros(2, dtype=dtype), conv_param)
            fl.conv_backward_fast(out, cache)
        return run

    def transposed(dtype):  # col2im forward, im2col backward
        w = rng.standard_normal((2, 2, 2, 2)).astype(dtype)
        out, cache = fl.conv_transpose_forward_fast(x[:, :2].astype(dtype), w,
                                                    np.zeros(2, dtype=dtype), {"stride": 2, "pad": 0})
        fl.conv_transpose_backward_fast(out, cache)

    def pool(forward, backward, pool_param):
        def run(dtype):
            out, cache = forward(x.astype(dtype), pool_param)
            backward(out, cache)
        return run

    def distances(dtype):
        flat = x.astype(dtype).reshape(2, -1)  # (2, 90)
        pairwise_sq_dists(flat, flat)

    def features(dtype):  # the feature kernels are float64 only: dtype is not used
        image = np.random.default_rng(0).integers(0, 256, (16, 16, 3)).astype(np.float64)
        hog_feature(image)
        color_histogram_hsv(image)

    steps = [
        conv(5, 3, 3, {"stride": 1, "pad": 1}),  # Winograd (5 or more channels)
        conv(2, 2, 2, {"stride": 2, "pad": 0}),  # im2col
        conv(2, 3, 3, {"stride": 1, "pad": 1}),  # direct, compiled per filter width: 3 and 7
        conv(2, 7, 7, {"stride": 1, "pad": 3}),
        transposed,
    ]
    for pool_param in ({"pool_height": 2, "pool_width": 2, "stride": 2},  # max pooling's 2x2/2 kernels
                       {"pool_height": 3, "pool_width": 3, "stride": 1}):  # the general ones
        steps += [pool(fl.max_pool_forward_fast, fl.max_pool_backward_fast, pool_param),
                  pool(fl.avg_pool_forward_fast, fl.avg_pool_backward_fast, pool_param)]
    return steps + [distances, features]


def kernels():
    """{'module._name_kernel': number of compiled signatures} for every kernel in dl4cv.kernels.

    Kernels are the ``@njit`` functions named ``_*_kernel`` (small helpers they call are
    compiled into them). Under ``NUMBA_DISABLE_JIT=1`` there are none.
    """
    found = {}
    for info in pkgutil.iter_modules(dl4cv.kernels.__path__):
        module = importlib.import_module(f"dl4cv.kernels.{info.name}")
        for name, obj in vars(module).items():
            if name.endswith("_kernel") and hasattr(obj, "signatures"):
                found[f"{info.name}.{name}"] = len(obj.signatures)
    return found


def warmup(verbose=False):
    """Compile or load every kernel for float32 and float64; return ``kernels()`` afterwards.

    With ``verbose``, prints ``kernel n of m: name`` as each kernel becomes ready (the first
    run compiles for a few minutes; later runs load the cache in about a second).
    """
    start = time.perf_counter()
    total, ready = len(kernels()), set()
    for step in _steps():
        for dtype in DTYPES:
            step(dtype)
        for name, signatures in kernels().items():
            if signatures and name not in ready:
                ready.add(name)
                if verbose:
                    print(f"kernel {len(ready)} of {total}: {name}", flush=True)
    compiled = kernels()
    if verbose:
        print(f"dl4cv: {len(compiled)} Numba kernels ready in {time.perf_counter() - start:.1f} s")
    return compiled


if __name__ == "__main__":
    warmup(verbose=True)
    sys.exit(0)
