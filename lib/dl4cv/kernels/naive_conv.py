"""Plain-loop NumPy convolution: the ground truth the fast convolutions are tested against.

Four loops (image, filter, output row, output column), each step one window-times-filter sum,
as a student would first write it. Far too slow for training; used by the tests on small
shapes and by ``bench/conv_bench.py`` as the naive baseline.
"""
import numpy as np


def conv_forward_naive(x, w, b, stride, pad):
    """out: (N, F, Ho, Wo) of x: (N, C, H, W), w: (F, C, HH, WW), b: (F,), zero padding pad."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.empty((N, F, Ho, Wo), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


def conv_backward_naive(dout, x, w, stride, pad):
    """(dx, dw, db) for dout: (N, F, Ho, Wo) of ``conv_forward_naive(x, w, b, stride, pad)``."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, rows, cols]
                    dx_pad[n, :, rows, cols] += dout[n, f, i, j] * w[f]
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]
    return dx, dw, dout.sum(axis=(0, 2, 3))
