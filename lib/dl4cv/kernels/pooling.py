"""Max and average pooling over (pool_height, pool_width) windows moved by ``stride``.

x: (N, C, H, W) -> out: (N, C, Ho, Wo) with Ho = (H - pool_height) // stride + 1 (windows that
would run past the border are dropped, as in CS231n and PyTorch). Windows may overlap
(stride < pool size) or leave gaps (stride > pool size).

Max pooling records, for every output, the flat index ``h * W + w`` of its maximum inside its
(H, W) plane: the FIRST maximum in row-major window order (strict ``>`` while scanning), so on
ties the whole gradient goes to exactly one input. Backward passes add into the recorded
positions (overlapping windows can select the same input twice).
"""
import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def _max_pool_forward_kernel(x, ph, pw, stride, out, argmax):
    P, H, W = x.shape
    Ho, Wo = out.shape[1], out.shape[2]
    for p in prange(P):
        for y in range(Ho):
            for xo in range(Wo):
                h0 = y * stride
                w0 = xo * stride
                best = x[p, h0, w0]
                where = h0 * W + w0
                for i in range(ph):
                    for j in range(pw):
                        v = x[p, h0 + i, w0 + j]
                        if v > best:
                            best = v
                            where = (h0 + i) * W + w0 + j
                out[p, y, xo] = best
                argmax[p, y, xo] = where


@njit(cache=True, parallel=True)
def _max_pool_backward_kernel(dout, argmax, dx):
    P, Ho, Wo = dout.shape
    for p in prange(P):
        dx[p] = 0
        for y in range(Ho):
            for xo in range(Wo):
                dx[p, argmax[p, y, xo]] += dout[p, y, xo]


@njit(cache=True, parallel=True)
def _max_pool_2x2_forward_kernel(x, out, argmax):
    """_max_pool_forward_kernel for 2x2 windows with stride 2, unrolled: x: (P, H, W) -> (P, Ho, Wo)."""
    P, W = x.shape[0], x.shape[2]
    Ho, Wo = out.shape[1], out.shape[2]
    for p in prange(P):
        for y in range(Ho):
            for xo in range(Wo):
                h0, w0 = 2 * y, 2 * xo
                best, k = x[p, h0, w0], 0
                v = x[p, h0, w0 + 1]
                if v > best:
                    best, k = v, 1
                v = x[p, h0 + 1, w0]
                if v > best:
                    best, k = v, W
                v = x[p, h0 + 1, w0 + 1]
                if v > best:
                    best, k = v, W + 1
                out[p, y, xo] = best
                argmax[p, y, xo] = h0 * W + w0 + k


@njit(cache=True, parallel=True)
def _max_pool_2x2_backward_kernel(dout, argmax, dx):
    """_max_pool_backward_kernel for 2x2 windows with stride 2: windows do not overlap, so each
    window's four inputs are zeroed and its maximum's set in one pass. dout, argmax: (P, Ho, Wo), dx: (P, H, W)."""
    P, Ho, Wo = dout.shape
    H, W = dx.shape[1], dx.shape[2]
    for p in prange(P):
        if H % 2 or W % 2:  # a last row or column no window covers
            dx[p] = 0
        for y in range(Ho):
            for xo in range(Wo):
                h0, w0 = 2 * y, 2 * xo
                k = argmax[p, y, xo] - (h0 * W + w0)  # 0, 1, W or W + 1
                dx[p, h0, w0] = 0
                dx[p, h0, w0 + 1] = 0
                dx[p, h0 + 1, w0] = 0
                dx[p, h0 + 1, w0 + 1] = 0
                i = 1 if k >= W else 0
                dx[p, h0 + i, w0 + k - i * W] = dout[p, y, xo]


@njit(cache=True, parallel=True)
def _avg_pool_forward_kernel(x, ph, pw, stride, out):
    P = x.shape[0]
    Ho, Wo = out.shape[1], out.shape[2]
    scale = 1.0 / (ph * pw)
    for p in prange(P):
        for y in range(Ho):
            for xo in range(Wo):
                acc = 0.0
                for i in range(ph):
                    for j in range(pw):
                        acc += x[p, y * stride + i, xo * stride + j]
                out[p, y, xo] = acc * scale


@njit(cache=True, parallel=True)
def _avg_pool_backward_kernel(dout, ph, pw, stride, dx):
    P, Ho, Wo = dout.shape
    scale = 1.0 / (ph * pw)
    for p in prange(P):
        dx[p] = 0
        for y in range(Ho):
            for xo in range(Wo):
                g = dout[p, y, xo] * scale
                for i in range(ph):
                    for j in range(pw):
                        dx[p, y * stride + i, xo * stride + j] += g


def _planes(a):
    """View a: (N, C, H, W) as contiguous (N*C, H, W) planes."""
    N, C, H, W = a.shape
    return np.ascontiguousarray(a).reshape(N * C, H, W)


def pool_output_shape(x_shape, ph, pw, stride):
    """(N, C, Ho, Wo) of pooling x_shape = (N, C, H, W) with the given window and stride."""
    N, C, H, W = x_shape
    return N, C, (H - ph) // stride + 1, (W - pw) // stride + 1


def max_pool_forward(x, ph, pw, stride):
    """Max pooling of x: (N, C, H, W) -> (out: (N, C, Ho, Wo), argmax: (N, C, Ho, Wo) int32)."""
    shape = pool_output_shape(x.shape, ph, pw, stride)
    out = np.empty(shape, dtype=x.dtype)
    argmax = np.empty(shape, dtype=np.int32)
    if ph == pw == stride == 2:
        _max_pool_2x2_forward_kernel(_planes(x), _planes(out), _planes(argmax))
    else:
        _max_pool_forward_kernel(_planes(x), ph, pw, stride, _planes(out), _planes(argmax))
    return out, argmax


def max_pool_backward(dout, argmax, x_shape, pool_2x2=False):
    """dx: x_shape, each dout entry added at its recorded argmax (flat index in its plane).

    pool_2x2: the forward pass used 2x2 windows with stride 2 (a faster kernel)."""
    N, C, H, W = x_shape
    dx = np.empty(x_shape, dtype=dout.dtype)
    if pool_2x2:
        _max_pool_2x2_backward_kernel(_planes(dout), _planes(argmax), _planes(dx))
    else:
        _max_pool_backward_kernel(_planes(dout), _planes(argmax), dx.reshape(N * C, H * W))
    return dx


def avg_pool_forward(x, ph, pw, stride):
    """Average pooling of x: (N, C, H, W) -> out: (N, C, Ho, Wo), same dtype."""
    out = np.empty(pool_output_shape(x.shape, ph, pw, stride), dtype=x.dtype)
    _avg_pool_forward_kernel(_planes(x), ph, pw, stride, _planes(out))
    return out


def avg_pool_backward(dout, x_shape, ph, pw, stride):
    """dx: x_shape, each dout entry spread evenly over its window (overlaps add up)."""
    dx = np.empty(x_shape, dtype=dout.dtype)
    _avg_pool_backward_kernel(_planes(dout), ph, pw, stride, _planes(dx))
    return dx


def _window_view(a, i, j, stride, Ho, Wo):
    """View v: (N, C, Ho, Wo) of a: (N, C, H, W) with v[n, c, y, xo] = a[n, c, y*stride + i, xo*stride + j]."""
    return a[:, :, i : i + stride * (Ho - 1) + 1 : stride, j : j + stride * (Wo - 1) + 1 : stride]


def _windows(x, ph, pw, stride):
    """(ph*pw, N, C, Ho, Wo): every window offset's view, in row-major window order."""
    _, _, Ho, Wo = pool_output_shape(x.shape, ph, pw, stride)
    return np.stack([_window_view(x, i, j, stride, Ho, Wo) for i in range(ph) for j in range(pw)])


def max_pool_forward_ref(x, ph, pw, stride):
    """NumPy reference of ``max_pool_forward`` (argmax picks the first maximum, row-major)."""
    N, C, H, W = x.shape
    windows = _windows(x, ph, pw, stride)
    k = windows.argmax(axis=0)
    _, _, Ho, Wo = k.shape
    rows = np.arange(Ho)[:, None] * stride + k // pw
    columns = np.arange(Wo)[None, :] * stride + k % pw
    return windows.max(axis=0), (rows * W + columns).astype(np.int32)


def max_pool_backward_ref(dout, argmax, x_shape):
    """NumPy reference of ``max_pool_backward`` (unbuffered add at the recorded positions)."""
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W), dtype=dout.dtype)
    planes = np.repeat(np.arange(N * C), dout[0, 0].size)
    np.add.at(dx, (planes, argmax.ravel()), dout.ravel())
    return dx.reshape(x_shape)


def avg_pool_forward_ref(x, ph, pw, stride):
    """NumPy reference of ``avg_pool_forward``."""
    return _windows(x, ph, pw, stride).mean(axis=0)


def avg_pool_backward_ref(dout, x_shape, ph, pw, stride):
    """NumPy reference of ``avg_pool_backward`` (adds dout / (ph*pw) through each window view)."""
    dx = np.zeros(x_shape, dtype=dout.dtype)
    _, _, Ho, Wo = dout.shape
    for i in range(ph):
        for j in range(pw):
            _window_view(dx, i, j, stride, Ho, Wo)[...] += dout / (ph * pw)
    return dx
