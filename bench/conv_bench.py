"""Benchmark dl4cv's fast layers against naive loops, a NumPy im2col baseline and PyTorch CPU.

Run from the repository root (PyTorch is optional, only for the comparison column; install
it into the venv with ``.venv/bin/pip install torch==2.13.0``)::

    .venv/bin/python bench/conv_bench.py                 # everything, writes bench/results_conv.md
    .venv/bin/python bench/conv_bench.py --quick         # fewer repeats, smaller kNN problem
    .venv/bin/python bench/conv_bench.py --cases C pool2 --dtypes float32 --out -

Each timing is the median of ``--repeats`` runs after warm-up runs. The naive 4-loop
convolution is timed on a reduced batch and scaled linearly to the full batch.
"""
import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import dl4cv  # noqa: F401  (applies dl4cv.runtime's thread settings first)
import numba
import numpy as np

from dl4cv import fast_layers as fl
from dl4cv.kernels.distances import pairwise_sq_dists, pairwise_sq_dists_ref
from dl4cv.kernels.im2col import col2im_ref, im2col_ref
from dl4cv.kernels.naive_conv import conv_backward_naive, conv_forward_naive
from dl4cv.kernels.pooling import max_pool_backward_ref, max_pool_forward_ref

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the comparison column is left empty
    torch = None

CONV_CASES = {
    "A": ((100, 3, 31, 31), (25, 3, 3, 3), 2, 1),
    "B": ((50, 3, 32, 32), (32, 3, 7, 7), 1, 3),
    "C": ((64, 64, 16, 16), (64, 64, 3, 3), 1, 1),
}
POOL_CASES = {"pool1": (100, 3, 32, 32), "pool2": (64, 64, 16, 16)}
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}
NAIVE_BATCH = 2  # images the naive loops run on; scaled to the full batch


WAIT_QUIET = [0.0]  # seconds to wait at most for an idle machine before each timed run


def wait_quiet():
    """Wait (up to WAIT_QUIET seconds) until no other process is running on the CPUs."""
    deadline = time.monotonic() + WAIT_QUIET[0]
    while time.monotonic() < deadline:
        with open("/proc/stat") as stat:
            running = int(stat.read().split("procs_running ")[1].split()[0])
        if running <= 1:
            return
        time.sleep(0.02)


def median_time(fn, repeats, warmup=2):
    """Median wall time of fn() in seconds over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        wait_quiet()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def gemm_peak(dtype, repeats):
    """NumPy (BLAS) GEMM GFLOP/s on 2048x2048 matrices."""
    n = 2048
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    b = a.T.copy()
    return 2 * n**3 / median_time(lambda: a @ b, repeats) / 1e9


# --------------------------------------------------------------------------- implementations


def numpy_im2col_forward(x, w, b, stride, pad):
    """Baseline: stride-tricks im2col (``im2col_ref``) and one GEMM."""
    F = w.shape[0]
    N, Ho, Wo = x.shape[0], (x.shape[2] + 2 * pad - w.shape[2]) // stride + 1, (x.shape[3] + 2 * pad - w.shape[3]) // stride + 1
    cols = im2col_ref(x, w.shape[2], w.shape[3], stride, pad)
    out = (w.reshape(F, -1) @ cols).reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3) + b[None, :, None, None]
    return out, cols


def numpy_im2col_backward(dout, x, w, cols, stride, pad):
    """Baseline backward: two GEMMs and a slice-adding col2im (``col2im_ref``)."""
    F = w.shape[0]
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = (dout_mat @ cols.T).reshape(w.shape)
    dx = col2im_ref(w.reshape(F, -1).T @ dout_mat, x.shape, w.shape[2], w.shape[3], stride, pad)
    return dx, dw, dout.sum(axis=(0, 2, 3))


def conv_runners(x, w, b, stride, pad, dout):
    """{name: (forward(), forward_and_backward())} for every implementation of one case."""
    conv_param = {"stride": stride, "pad": pad}
    xs = x[:NAIVE_BATCH]

    def naive_fb():
        conv_forward_naive(xs, w, b, stride, pad)
        conv_backward_naive(dout[:NAIVE_BATCH], xs, w, stride, pad)

    def numpy_fb():
        _, cols = numpy_im2col_forward(x, w, b, stride, pad)
        numpy_im2col_backward(dout, x, w, cols, stride, pad)

    def fast_fb():
        _, cache = fl.conv_forward_fast(x, w, b, conv_param)
        fl.conv_backward_fast(dout, cache)

    runners = {
        "naive loops": (lambda: conv_forward_naive(xs, w, b, stride, pad), naive_fb),
        "NumPy im2col": (lambda: numpy_im2col_forward(x, w, b, stride, pad), numpy_fb),
        "dl4cv fast": (lambda: fl.conv_forward_fast(x, w, b, conv_param), fast_fb),
    }
    if torch is not None:
        tx, tw, tb, tdout = (torch.from_numpy(a) for a in (x, w, b, dout))

        def torch_f():
            with torch.no_grad():
                TF.conv2d(tx, tw, tb, stride=stride, padding=pad)

        def torch_fb():
            args = [t.detach().requires_grad_() for t in (tx, tw, tb)]
            TF.conv2d(*args, stride=stride, padding=pad).backward(tdout)

        runners["PyTorch"] = (torch_f, torch_fb)
    return runners


def pool_runners(x, dout):
    """{name: (forward(), forward_and_backward())} for 2x2/2 max pooling of x."""

    def numpy_fb():
        _, argmax = max_pool_forward_ref(x, 2, 2, 2)
        max_pool_backward_ref(dout, argmax, x.shape)

    def fast_fb():
        _, cache = fl.max_pool_forward_fast(x, POOL_PARAM)
        fl.max_pool_backward_fast(dout, cache)

    runners = {
        "NumPy windows": (lambda: max_pool_forward_ref(x, 2, 2, 2), numpy_fb),
        "dl4cv fast": (lambda: fl.max_pool_forward_fast(x, POOL_PARAM), fast_fb),
    }
    if torch is not None:
        tx, tdout = torch.from_numpy(x), torch.from_numpy(dout)

        def torch_f():
            with torch.no_grad():
                TF.max_pool2d(tx, 2, 2)

        def torch_fb():
            t = tx.detach().requires_grad_()
            TF.max_pool2d(t, 2, 2).backward(tdout)

        runners["PyTorch"] = (torch_f, torch_fb)
    return runners


# --------------------------------------------------------------------------- reporting


def fmt_ms(seconds):
    return f"{seconds * 1e3:.2f}" if seconds < 10 else f"{seconds:.1f} s"


def fmt_ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def run(args):
    rng = np.random.default_rng(0)
    lines = []
    summary = {}
    load_start = os.getloadavg()
    peaks = {dt: gemm_peak(np.dtype(dt), args.repeats) for dt in args.dtypes}
    lines += [
        "## Convolution (times in ms, median; ratio = time / PyTorch's time)",
        "",
        "| case | dtype | pass | implementation | time ms | ratio to PyTorch | GFLOP/s | of GEMM peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in [c for c in args.cases if c in CONV_CASES]:
        x_shape, w_shape, stride, pad = CONV_CASES[case]
        for dt in args.dtypes:
            x = rng.standard_normal(x_shape).astype(dt)
            w = rng.standard_normal(w_shape).astype(dt)
            b = rng.standard_normal(w_shape[0]).astype(dt)
            out = fl.conv_forward_fast(x, w, b, {"stride": stride, "pad": pad})[0]
            dout = rng.standard_normal(out.shape).astype(dt)
            flops = 2 * out.size * np.prod(w_shape[1:])
            runners = conv_runners(x, w, b, stride, pad, dout)
            for p, (label, mult) in enumerate((("fwd", 1), ("fwd+bwd", 3))):
                times = {}
                for name, fns in runners.items():
                    reps = max(1, args.repeats // 5) if name == "naive loops" else args.repeats
                    t = median_time(fns[p], reps, warmup=1 if name == "naive loops" else 2)
                    times[name] = t * x_shape[0] / NAIVE_BATCH if name == "naive loops" else t
                ref = times.get("PyTorch", 0)
                for name, t in times.items():
                    gflops = mult * flops / t / 1e9
                    lines.append(
                        f"| {case} | {dt} | {label} | {name}{' (scaled)' if name == 'naive loops' else ''} | {fmt_ms(t)} "
                        f"| {fmt_ratio(t, ref)} | {gflops:.1f} | {gflops / peaks[dt]:.0%} |"
                    )
                summary[(case, dt, label)] = times
                print("\n".join(lines[-len(times) :]), flush=True)
    pool_cases = [c for c in args.cases if c in POOL_CASES]
    if pool_cases:
        lines += ["", "## Max pooling 2x2, stride 2 (times in ms)", "", "| input | dtype | pass | implementation | time ms | ratio to PyTorch |", "|---|---|---|---|---|---|"]
    for case in pool_cases:
        for dt in args.dtypes:
            x = rng.standard_normal(POOL_CASES[case]).astype(dt)
            dout = rng.standard_normal(fl.max_pool_forward_fast(x, POOL_PARAM)[0].shape).astype(dt)
            runners = pool_runners(x, dout)
            for p, label in enumerate(("fwd", "fwd+bwd")):
                times = {name: median_time(fns[p], args.repeats * 3) for name, fns in runners.items()}
                for name, t in times.items():
                    lines.append(f"| {POOL_CASES[case]} | {dt} | {label} | {name} | {fmt_ms(t)} | {fmt_ratio(t, times.get('PyTorch', 0))} |")
                summary[(case, dt, label)] = times
                print("\n".join(lines[-len(times) :]), flush=True)
    if "knn" in args.cases:
        m, n, d = (500, 5000, 3072) if not args.quick else (200, 2000, 3072)
        lines += ["", f"## kNN squared distances {m} x {n} x {d} (times in ms)", "", "| dtype | implementation | time ms | ratio to NumPy formula |", "|---|---|---|---|"]
        for dt in args.dtypes:
            X = rng.uniform(0, 255, (m, d)).astype(dt)
            Y = rng.uniform(0, 255, (n, d)).astype(dt)
            times = {
                "NumPy no-loop formula": median_time(lambda X=X, Y=Y: pairwise_sq_dists_ref(X, Y), args.repeats),
                "dl4cv pairwise_sq_dists": median_time(lambda X=X, Y=Y: pairwise_sq_dists(X, Y), args.repeats),
            }
            ref = times["NumPy no-loop formula"]
            for name, t in times.items():
                lines.append(f"| {dt} | {name} | {fmt_ms(t)} | {fmt_ratio(t, ref)} |")
            summary[("knn", dt, "dists")] = times
            print("\n".join(lines[-2:]), flush=True)
    load_end = os.getloadavg()
    return lines, summary, peaks, (load_start, load_end)


def key_ratios(summary):
    """Markdown lines: the issue's targets with this run's numbers."""
    out = ["## Targets", ""]
    conv = [(k, v) for k, v in summary.items() if k[0] in CONV_CASES and k[2] == "fwd+bwd" and "PyTorch" in v]
    if conv:
        ratios = [v["dl4cv fast"] / v["PyTorch"] for _, v in conv]
        worst = max(zip(ratios, [k for k, _ in conv]))
        out.append(
            f"- conv fwd+bwd vs PyTorch: worst {worst[0]:.2f}x ({worst[1][0]} {worst[1][1]}; target <= 1.2x), "
            f"geometric mean {np.exp(np.mean(np.log(ratios))):.2f}x over {len(ratios)} (target <= 1.0x)"
        )
        speedups = [v["naive loops"] / v["dl4cv fast"] for _, v in conv]
        out.append(f"- speed-up over the naive loops: at least {min(speedups):.0f}x (target >= 150x)")
    pool = [v for k, v in summary.items() if k[0] in POOL_CASES and k[2] == "fwd+bwd" and "PyTorch" in v]
    if pool:
        out.append(f"- max-pool fwd+bwd vs PyTorch: worst {max(v['dl4cv fast'] / v['PyTorch'] for v in pool):.2f}x (target <= 0.6x)")
    knn = [v for k, v in summary.items() if k[0] == "knn"]
    if knn:
        worst = max(v["dl4cv pairwise_sq_dists"] / v["NumPy no-loop formula"] for v in knn)
        out.append(f"- kNN distances vs NumPy formula: worst {worst:.2f}x (target <= 1.0x)")
    return out + [""]


def header(peaks, loads, args):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    versions = f"NumPy {np.__version__}, Numba {numba.__version__}" + (f", PyTorch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", PyTorch not installed")
    env = ", ".join(f"{k}={os.environ[k]}" for k in sorted(os.environ) if k.startswith(("NUMBA_", "OMP_", "OPENBLAS_")))
    return [
        "# Fast layers benchmark",
        "",
        f"Written by `bench/conv_bench.py {' '.join(sys.argv[1:])}` on {datetime.datetime.now():%Y-%m-%d %H:%M}.",
        f"Machine: {cpu}, {os.cpu_count()} cores; {versions}; Python {platform.python_version()}.",
        f"Environment: {env or 'none set'}; Numba threading layer in use: {numba.threading_layer()}.",
        f"Load average (1, 5, 15 min) at start {loads[0][0]:.2f} {loads[0][1]:.2f} {loads[0][2]:.2f}, "
        f"at end {loads[1][0]:.2f} {loads[1][1]:.2f} {loads[1][2]:.2f}.",
        "NumPy GEMM peak (2048^3) in this run: " + ", ".join(f"{dt} {p:.0f} GFLOP/s" for dt, p in peaks.items()) + ".",
        f"Medians of {args.repeats} runs after warm-up, each started once no other process was running "
        f"(waiting up to {args.wait_quiet:g} s; the machine is shared); the naive loops run on {NAIVE_BATCH} images and are scaled "
        "to the full batch (fewer repeats). FLOPs: forward 2*N*F*Ho*Wo*C*HH*WW, forward+backward 3x that.",
        "",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=[*CONV_CASES, *POOL_CASES, "knn"], help="A B C pool1 pool2 knn")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per measurement (default 15, quick 5)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller kNN problem")
    parser.add_argument("--wait-quiet", type=float, default=5.0, help="before each timed run, wait up to this many seconds for other processes to leave the CPUs (0: never)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results_conv.md")), help="'-' for stdout only")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (5 if args.quick else 15)
    WAIT_QUIET[0] = args.wait_quiet
    lines, summary, peaks, loads = run(args)
    report = "\n".join(header(peaks, loads, args) + key_ratios(summary) + lines) + "\n"
    if args.out == "-":
        print(report)
    else:
        Path(args.out).write_text(report)
        print(f"wrote {args.out}")
        print("\n".join(key_ratios(summary)))


if __name__ == "__main__":
    main()
