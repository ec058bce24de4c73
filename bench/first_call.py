"""First-call cost of every fast layer in a fresh process: cold (empty Numba cache) vs warm.

    .venv/bin/python bench/first_call.py

Runs two child processes sharing a new, empty ``NUMBA_CACHE_DIR``: the first compiles every
kernel it touches and writes the cache, the second loads them from it. Prints a Markdown table.
"""
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
t0 = time.perf_counter()
import numpy as np
import dl4cv
from dl4cv import fast_layers as fl
from dl4cv.features import color_histogram_hsv, hog_feature
from dl4cv.kernels.distances import pairwise_sq_dists
times = {"import dl4cv.fast_layers": time.perf_counter() - t0}
x = np.random.default_rng(0).standard_normal((2, 8, 8, 8)).astype(np.float32)
x4 = x[:, :4]  # at most 4 channels: the direct convolution
b = np.zeros(4, np.float32)
w3 = np.ones((4, 8, 3, 3), np.float32)
w2 = np.ones((4, 4, 2, 2), np.float32)
w7 = np.ones((4, 4, 7, 7), np.float32)
w3_4 = np.ones((4, 4, 3, 3), np.float32)
pool = {"pool_height": 2, "pool_width": 2, "stride": 2}

def layer(name, forward, backward, *args):
    start = time.perf_counter()
    out, cache = forward(*args)
    backward(out, cache)
    times[name] = time.perf_counter() - start

layer("conv, Winograd (3x3 stride 1, 8 channels)", fl.conv_forward_fast, fl.conv_backward_fast, x, w3, b, {"stride": 1, "pad": 1})
layer("conv, im2col", fl.conv_forward_fast, fl.conv_backward_fast, x4, w2, b, {"stride": 2, "pad": 0})
layer("conv, direct (7x7 stride 1)", fl.conv_forward_fast, fl.conv_backward_fast, x4, w7, b, {"stride": 1, "pad": 3})
layer("conv, direct (3x3 stride 1, 4 channels)", fl.conv_forward_fast, fl.conv_backward_fast, x4, w3_4, b, {"stride": 1, "pad": 1})
layer("transposed conv", fl.conv_transpose_forward_fast, fl.conv_transpose_backward_fast, x4, w2, b, {"stride": 2, "pad": 0})
layer("max pool", fl.max_pool_forward_fast, fl.max_pool_backward_fast, x, pool)
layer("avg pool", fl.avg_pool_forward_fast, fl.avg_pool_backward_fast, x, pool)
start = time.perf_counter(); pairwise_sq_dists(x.reshape(2, -1), x.reshape(2, -1)); times["pairwise_sq_dists"] = time.perf_counter() - start
img = np.zeros((32, 32, 3))
start = time.perf_counter(); hog_feature(img); color_histogram_hsv(img); times["hog_feature + color_histogram_hsv"] = time.perf_counter() - start
times["total"] = time.perf_counter() - t0
print(json.dumps(times))
"""


def child(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    with tempfile.TemporaryDirectory() as cache_dir:
        cold, warm = child(cache_dir), child(cache_dir)
    print("| first call (float32, forward + backward) | cold cache s | warm cache s |")
    print("|---|---|---|")
    for name in cold:
        print(f"| {name} | {cold[name]:.2f} | {warm[name]:.3f} |")


if __name__ == "__main__":
    main()
