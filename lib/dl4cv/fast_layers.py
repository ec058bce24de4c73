"""Fast convolution and pooling layers (CS231n names and contracts), built on dl4cv.kernels.

Layers come in pairs ``*_forward_fast(...) -> (out, cache)`` and ``*_backward_fast(dout, cache)``.
Inputs may be float32 or float64; outputs and gradients have the input's dtype (mixed inputs
use NumPy's promotion; integer inputs compute in float64).

Convolution picks its algorithm from the shapes (``conv_forward_fast``):

- stride 1, at most 4 input channels, filters at most 7 wide, pad < the filter size: a direct
  Numba convolution (``conv_forward_direct``; a network's first layer on RGB images);
- other 3x3 filters with stride 1: Winograd F(4x4, 3x3) (``conv_forward_winograd``), 4x fewer
  multiplications than a direct or im2col convolution;
- everything else: im2col + BLAS GEMM, in blocks of images (``conv_forward_im2col``).

The im2col path accepts any stride and zero padding ``pad`` (the other two serve only the
shapes named above); like CS231n, the filter must tile the padded
input exactly, ``(H + 2*pad - HH) % stride == 0``, otherwise a ValueError names the shapes
(pad or crop the input, or pick another stride). Pooling accepts any window and stride,
windows may overlap, and windows that would run past the border are dropped.
"""
import numbers
from typing import NamedTuple

import numpy as np

from dl4cv import parallel
from dl4cv.kernels import direct_conv as _direct
from dl4cv.kernels import im2col as _im2col
from dl4cv.kernels import pooling as _pool
from dl4cv.kernels import winograd as _wino


# --------------------------------------------------------------------------- validation


def _positive_int(params, key, minimum, what):
    """params[key] as an int >= minimum, else a ValueError naming what it is."""
    if key not in params:
        raise ValueError(f"{what} needs the key '{key}'; got keys {sorted(params)}")
    value = params[key]
    if not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{what}['{key}'] must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _float_dtype(*arrays):
    """The common floating dtype of the arrays (float64 if they are integers)."""
    dtype = np.result_type(*arrays)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _as(a, dtype):
    """a as a C-contiguous array of dtype (no copy if it already is one)."""
    return np.ascontiguousarray(a, dtype=dtype)


def _check_4d(name, a):
    """Raise unless a has 4 dimensions."""
    if np.ndim(a) != 4:
        raise ValueError(f"{name} must have 4 dimensions (N, C, H, W); got shape {np.shape(a)}")


def _conv_geometry(x_shape, w_shape, b_shape, conv_param, transposed=False):
    """Validate a (transposed) convolution; return (stride, pad, Ho, Wo).

    Normal: x: (N, C, H, W), w: (F, C, HH, WW), b: (F,).
    Transposed: x: (N, C_in, H, W), w: (C_in, C_out, HH, WW), b: (C_out,).
    """
    stride = _positive_int(conv_param, "stride", 1, "conv_param")
    pad = _positive_int(conv_param, "pad", 0, "conv_param")
    N, C, H, W = x_shape
    w_in, w_out, HH, WW = w_shape if transposed else (w_shape[1], w_shape[0]) + tuple(w_shape[2:])
    if C != w_in:
        raise ValueError(
            f"x has {C} channels but w expects {w_in}: x {tuple(x_shape)}, w {tuple(w_shape)}"
            + (" (transposed convolution: w is (C_in, C_out, HH, WW))" if transposed else "")
        )
    if len(b_shape) != 1 or b_shape[0] != w_out:
        raise ValueError(f"b must have shape ({w_out},) to match w {tuple(w_shape)}; got {tuple(b_shape)}")
    if transposed:
        Ho, Wo = (H - 1) * stride - 2 * pad + HH, (W - 1) * stride - 2 * pad + WW
        if Ho < 1 or Wo < 1:
            raise ValueError(
                f"transposed convolution of x {tuple(x_shape)} with w {tuple(w_shape)}, stride {stride}, "
                f"pad {pad} has an empty output ({Ho}, {Wo}); use a smaller pad"
            )
        return stride, pad, Ho, Wo
    Hp, Wp = H + 2 * pad, W + 2 * pad
    if HH > Hp or WW > Wp:
        raise ValueError(
            f"filter {HH}x{WW} (w {tuple(w_shape)}) is larger than the padded input {Hp}x{Wp} "
            f"(x {tuple(x_shape)}, pad {pad})"
        )
    if (Hp - HH) % stride or (Wp - WW) % stride:
        raise ValueError(
            f"stride {stride} does not fit: (H + 2*pad - HH) = {Hp - HH} and (W + 2*pad - WW) = {Wp - WW} "
            f"must be multiples of the stride (x {tuple(x_shape)}, w {tuple(w_shape)}, pad {pad}); "
            "change pad or stride, or crop the input"
        )
    return stride, pad, (Hp - HH) // stride + 1, (Wp - WW) // stride + 1


def _prepare_conv(x, w, b, conv_param, transposed=False):
    """Validated, same-dtype contiguous (x, w, b) and (stride, pad, Ho, Wo)."""
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    _check_4d("x", x)
    _check_4d("w", w)
    geometry = _conv_geometry(x.shape, w.shape, b.shape, conv_param, transposed)
    dtype = _float_dtype(x, w, b)
    return _as(x, dtype), _as(w, dtype), _as(b, dtype), geometry


def _check_dout(dout, shape, dtype):
    """dout as a contiguous array of dtype, after checking it has the forward output's shape."""
    if np.shape(dout) != tuple(shape):
        raise ValueError(f"dout has shape {np.shape(dout)} but the forward output had shape {tuple(shape)}")
    return _as(dout, dtype)


# --------------------------------------------------------------------------- caches


class Im2colCache(NamedTuple):
    """What ``conv_backward_fast`` needs after ``conv_forward_im2col``."""

    x_shape: tuple  # (N, C, H, W)
    w: np.ndarray  # (F, C, HH, WW)
    stride: int
    pad: int
    cols: np.ndarray  # (C * HH * WW, N * Ho * Wo), image-major columns


class DirectCache(NamedTuple):
    """What ``conv_backward_fast`` needs after ``conv_forward_direct`` (stride 1)."""

    x_shape: tuple  # (N, C, H, W)
    w: np.ndarray  # (F, C, HH, WW)
    stride: int
    pad: int
    x: np.ndarray  # (N, C, H, W), contiguous, w's dtype


class WinogradCache(NamedTuple):
    """What ``conv_backward_fast`` needs after ``conv_forward_winograd`` (3x3, stride 1)."""

    x_shape: tuple  # (N, C, H, W)
    w: np.ndarray  # (F, C, 3, 3)
    stride: int
    pad: int
    x: np.ndarray  # (N, C, H, W): the backward pass transforms it again
    U: np.ndarray  # (36, F, C): the transformed filters


class ConvTransposeCache(NamedTuple):
    """What ``conv_transpose_backward_fast`` needs."""

    x_shape: tuple  # (N, C_in, H, W)
    x_mat: np.ndarray  # (C_in, N * H * W)
    w: np.ndarray  # (C_in, C_out, HH, WW)
    stride: int
    pad: int


class MaxPoolCache(NamedTuple):
    """What ``max_pool_backward_fast`` needs."""

    x_shape: tuple  # (N, C, H, W)
    dtype: np.dtype
    argmax: np.ndarray  # (N, C, Ho, Wo) int32: flat index of each window's maximum in its plane
    pool_2x2: bool  # 2x2 windows, stride 2: the unrolled kernels


class AvgPoolCache(NamedTuple):
    """What ``avg_pool_backward_fast`` needs."""

    x_shape: tuple  # (N, C, H, W)
    dtype: np.dtype
    ph: int
    pw: int
    stride: int


# --------------------------------------------------------------------------- convolution


#: Bytes of a block of images' im2col columns handled at once: it stays in cache between a
#: GEMM and the kernel that reads its result, and one buffer this size, reused for every block,
#: replaces 16-30 MB temporaries (fresh large allocations are page faults: ~16 ms of case B's
#: forward+backward when it ran on im2col).
_BLOCK_BYTES = 2**21


def _image_blocks(N, bytes_per_image):
    """[(n0, n1), ...]: the images 0 .. N-1 in consecutive blocks of about _BLOCK_BYTES."""
    step = max(1, _BLOCK_BYTES // bytes_per_image)
    return [(n0, min(N, n0 + step)) for n0 in range(0, N, step)]


def _block_buffer(blocks, per_image, dtype):
    """A flat buffer for the largest of the image blocks, per_image elements per image."""
    return np.empty(max((n1 - n0 for n0, n1 in blocks), default=0) * per_image, dtype=dtype)


def _in_buffer(buf, shape):
    """The first prod(shape) elements of the flat buffer buf as a C-contiguous array of shape."""
    return buf[: int(np.prod(shape))].reshape(shape)


def conv_forward_im2col(x, w, b, conv_param):
    """Convolution by im2col + GEMM (in blocks of images).

    Inputs: x: (N, C, H, W), w: (F, C, HH, WW), b: (F,), conv_param: {'stride', 'pad'}.
    Returns (out: (N, F, Ho, Wo), cache) with Ho = (H + 2*pad - HH) // stride + 1.
    """
    x, w, b, (stride, pad, Ho, Wo) = _prepare_conv(x, w, b, conv_param)
    N, F, P = x.shape[0], w.shape[0], Ho * Wo
    cols = _im2col.im2col(x, w.shape[2], w.shape[3], stride, pad)
    w_mat = w.reshape(F, -1)
    out = np.empty((N, F, P), dtype=x.dtype)
    blocks = _image_blocks(N, cols.shape[0] * P * x.itemsize)
    buf = _block_buffer(blocks, F * P, x.dtype)
    for n0, n1 in blocks:
        res = np.matmul(w_mat, cols[:, n0 * P : n1 * P], out=_in_buffer(buf, (F, (n1 - n0) * P)))
        np.add(res.reshape(F, n1 - n0, P).transpose(1, 0, 2), b[None, :, None], out=out[n0:n1])
    return out.reshape(N, F, Ho, Wo), Im2colCache(x.shape, w, stride, pad, cols)


def _conv_backward_im2col(dout, cache):
    x_shape, w, stride, pad, cols = cache
    F, _, HH, WW = w.shape
    N, P = x_shape[0], dout.shape[2] * dout.shape[3]
    dout_mat = np.ascontiguousarray(dout.reshape(N, F, P).transpose(1, 0, 2)).reshape(F, -1)
    dw = (dout_mat @ cols.T).reshape(w.shape)
    w_t = w.reshape(F, -1).T
    dx = np.empty(x_shape, dtype=w.dtype)
    blocks = _image_blocks(N, cols.shape[0] * P * w.itemsize)
    buf = _block_buffer(blocks, cols.shape[0] * P, w.dtype)
    for n0, n1 in blocks:
        dcols = np.matmul(w_t, dout_mat[:, n0 * P : n1 * P], out=_in_buffer(buf, (cols.shape[0], (n1 - n0) * P)))
        _im2col.col2im_images(dcols, n0, n1, HH, WW, stride, pad, dx)
    return dx, dw, dout_mat.sum(axis=1)


#: ``conv_forward_fast`` convolves directly for stride 1, at most
#: _DIRECT_MAX_CHANNELS input channels and filters at most _DIRECT_MAX_WIDTH wide. With few
#: channels the im2col GEMM is a poor shape for BLAS (case B: 32 filters, inner dimension
#: 3*7*7 = 147) and its column matrix is 30 MB written and read once. Measured fwd+bwd, 50
#: images 32x32, 32 filters, float32, direct vs im2col in one process: 3 channels 7x7 39 vs
#: 50 ms, 5x5 24-28 vs 28, 1x1 8.3 vs 9.5; 9x9 75 vs 78 (a tie) and 11x11 3.6 s vs 153 ms
#: (the kernel keeps a filter row's taps in registers and runs out of them). For 3x3 filters it
#: also beats Winograd at few channels (direct / Winograd / im2col, same setting, 3x3, pad 1:
#: 1 channel 3.9 / 14.7 / 10.3 ms, 3 channels 7.3 / 21.4 / 13.6, 4: 11.2 / 18.3 / 16.4,
#: 8: 15.4 / 21.5 / 29.0, 16: 29.7 / 30.7 / 45.5, 32: 47.9 / 35.7 / 111.1).
_DIRECT_MAX_CHANNELS = 4
_DIRECT_MAX_WIDTH = 7


def conv_forward_direct(x, w, b, conv_param):
    """Stride-1 convolution computed directly (``dl4cv.kernels.direct_conv``), no column matrix.

    Inputs: x: (N, C, H, W), w: (F, C, HH, WW), b: (F,), conv_param: {'stride': 1, 'pad'}
    with pad < HH and pad < WW. Returns (out: (N, F, H + 2*pad - HH + 1, W + 2*pad - WW + 1),
    cache). The backward pass is direct too: dx convolves dout with the flipped filters.
    """
    x, w, b, (stride, pad, _, _) = _prepare_conv(x, w, b, conv_param)
    if stride != 1 or pad >= min(w.shape[2:]):
        raise ValueError(
            f"direct convolution needs stride 1 and pad < filter size; got w {w.shape}, stride {stride}, pad {pad}"
        )
    return _direct.conv_stride1(x, w, b, pad, pad), DirectCache(x.shape, w, stride, pad, x)


def _conv_backward_direct(dout, cache):
    _, w, _, pad, x = cache
    HH, WW = w.shape[2:]
    w_flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (C, F, HH, WW)
    dx = _direct.conv_stride1(dout, w_flipped, np.zeros(x.shape[1], x.dtype), HH - 1 - pad, WW - 1 - pad)
    dw, db = _direct.conv_stride1_weight_grad(x, dout, pad, pad, HH, WW)
    return dx, dw, db


def conv_forward_winograd(x, w, b, conv_param):
    """Convolution with 3x3 filters and stride 1 by Winograd F(4x4, 3x3).

    Inputs: x: (N, C, H, W), w: (F, C, 3, 3), b: (F,), conv_param: {'stride': 1, 'pad'}.
    Returns (out: (N, F, H + 2*pad - 2, W + 2*pad - 2), cache).
    The images are split between worker threads (``dl4cv.parallel``); each runs the input
    transform, the 36 GEMMs and the output transform block by block (images x tile rows)
    through its own reused buffers. The cache keeps x; the backward pass transforms it again.
    """
    x, w, b, (stride, pad, Ho, Wo) = _prepare_conv(x, w, b, conv_param)
    if w.shape[2:] != (3, 3) or stride != 1:
        raise ValueError(f"Winograd F(4x4, 3x3) needs 3x3 filters and stride 1; got w {w.shape}, stride {stride}")
    (N, C), F = x.shape[:2], w.shape[0]
    _, _, th, tw = _wino.tile_grid(*x.shape[2:], pad)
    out = np.empty((N, F, Ho, Wo), dtype=x.dtype)

    def forward(part):
        buf_v, buf_m = _wino.block_buffers(part, tw, x.dtype, C, F)
        for block in part:
            T = _wino.block_tiles(block, tw)
            V = _wino.input_transform(x, pad, block, V=_in_buffer(buf_v, (36, C, T)))
            M = np.matmul(U, V, out=_in_buffer(buf_m, (36, F, T)))
            _wino.output_transform(M, b, out, block)

    parts = _wino.parts(N, th, tw, max(C, F), x.itemsize, parallel.workers())
    with parallel.single_blas(len(parts) > 1):
        U = _wino.filter_transform(w)
        parallel.run_parts(forward, parts)
    return out, WinogradCache(x.shape, w, stride, pad, x, U)


def _conv_backward_winograd(dout, cache):
    x_shape, w, _, pad, x, U = cache
    (N, C, H, W), F = x_shape, w.shape[0]
    _, _, th, tw = _wino.tile_grid(H, W, pad)
    dx = np.zeros(x_shape, dtype=w.dtype)

    def backward(part):
        """The part's share of dU; its images' dx (parts do not share images)."""
        dU = np.zeros(U.shape, dtype=w.dtype)
        buf_v, buf_y, buf_dv = _wino.block_buffers(part, tw, w.dtype, C, F, C)
        for block in part:
            T = _wino.block_tiles(block, tw)
            V = _wino.input_transform(x, pad, block, V=_in_buffer(buf_v, (36, C, T)))
            dY = _wino.output_adjoint(dout, block, dY=_in_buffer(buf_y, (36, F, T)))
            dU += np.matmul(dY, V.transpose(0, 2, 1))
            dV = np.matmul(U.transpose(0, 2, 1), dY, out=_in_buffer(buf_dv, (36, C, T)))
            _wino.input_adjoint(dV, pad, block, dx)
        return dU

    parts = _wino.parts(N, th, tw, max(C, F), w.itemsize, parallel.workers())
    with parallel.single_blas(len(parts) > 1):
        dw = _wino.filter_adjoint(sum(parallel.run_parts(backward, parts)))
    return dx, dw, np.einsum("nfp->f", dout.reshape(N, F, -1))


_CONV_BACKWARD = {Im2colCache: _conv_backward_im2col, WinogradCache: _conv_backward_winograd,
                  DirectCache: _conv_backward_direct}


def conv_forward_fast(x, w, b, conv_param):
    """Convolution forward pass; the algorithm follows from the shapes:

    - stride 1, at most _DIRECT_MAX_CHANNELS (4) input channels, filters at most
      _DIRECT_MAX_WIDTH (7) wide and pad smaller than the filter: direct
      (``conv_forward_direct``);
    - other 3x3 filters with stride 1: Winograd (``conv_forward_winograd``);
    - everything else: im2col + GEMM (``conv_forward_im2col``).

    Inputs: x: (N, C, H, W), w: (F, C, HH, WW), b: (F,), conv_param: {'stride', 'pad'}.
    Returns (out: (N, F, Ho, Wo), cache) with Ho = (H + 2*pad - HH) // stride + 1.
    Raises ValueError on mismatched shapes, a filter larger than the padded input, or a stride
    that does not divide (H + 2*pad - HH) and (W + 2*pad - WW).
    """
    _check_4d("x", x)
    _check_4d("w", w)
    stride, pad, filter_hw = conv_param.get("stride"), conv_param.get("pad"), np.shape(w)[2:]
    if (
        stride == 1
        and np.shape(x)[1] <= _DIRECT_MAX_CHANNELS
        and filter_hw[1] <= _DIRECT_MAX_WIDTH
        and isinstance(pad, numbers.Integral)
        and 0 <= pad < min(filter_hw)
    ):
        return conv_forward_direct(x, w, b, conv_param)
    if filter_hw == (3, 3) and stride == 1:
        return conv_forward_winograd(x, w, b, conv_param)
    return conv_forward_im2col(x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    """Convolution backward pass for any ``conv_forward_*`` of this module.

    Inputs: dout: (N, F, Ho, Wo); cache from the forward pass.
    Returns dx: (N, C, H, W), dw: (F, C, HH, WW), db: (F,).
    """
    if type(cache) not in _CONV_BACKWARD:
        raise ValueError(f"cache must be what a conv_forward_* function of dl4cv.fast_layers returned; "
                         f"got {type(cache).__name__}")
    x_shape, w, stride, pad = cache[:4]
    Ho = (x_shape[2] + 2 * pad - w.shape[2]) // stride + 1
    Wo = (x_shape[3] + 2 * pad - w.shape[3]) // stride + 1
    dout = _check_dout(dout, (x_shape[0], w.shape[0], Ho, Wo), w.dtype)
    return _CONV_BACKWARD[type(cache)](dout, cache)


conv_backward_im2col = conv_backward_fast
conv_backward_winograd = conv_backward_fast
conv_backward_direct = conv_backward_fast


def conv_transpose_forward_fast(x, w, b, conv_param):
    """Transposed convolution ("deconvolution"), the adjoint of a convolution with the same w.

    Inputs: x: (N, C_in, H, W); w: (C_in, C_out, HH, WW) (PyTorch's ConvTranspose2d layout);
    b: (C_out,); conv_param: {'stride', 'pad'}. Each input pixel scatters ``x[n, c] * w[c]``
    into a HH x WW window of the output, windows stride apart, then pad is cropped off every
    border: Ho = (H - 1) * stride - 2 * pad + HH (stride 2, pad 1, 4x4 filters double H).
    Returns (out: (N, C_out, Ho, Wo), cache).
    """
    x, w, b, (stride, pad, Ho, Wo) = _prepare_conv(x, w, b, conv_param, transposed=True)
    N, C_in, H, W = x.shape
    C_out, HH, WW = w.shape[1:]
    x_mat = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(C_in, N * H * W)
    out = _im2col.col2im(w.reshape(C_in, -1).T @ x_mat, (N, C_out, Ho, Wo), HH, WW, stride, pad)
    out += b[None, :, None, None]
    return out, ConvTransposeCache(x.shape, x_mat, w, stride, pad)


def conv_transpose_backward_fast(dout, cache):
    """Backward pass of ``conv_transpose_forward_fast``.

    Inputs: dout: (N, C_out, Ho, Wo); cache from the forward pass.
    Returns dx: (N, C_in, H, W), dw: (C_in, C_out, HH, WW), db: (C_out,).
    """
    x_shape, x_mat, w, stride, pad = cache
    N, C_in, H, W = x_shape
    C_out, HH, WW = w.shape[1:]
    out_shape = (N, C_out, (H - 1) * stride - 2 * pad + HH, (W - 1) * stride - 2 * pad + WW)
    dout = _check_dout(dout, out_shape, w.dtype)
    dcols = _im2col.im2col(dout, HH, WW, stride, pad)
    dx = (w.reshape(C_in, -1) @ dcols).reshape(C_in, N, H, W).transpose(1, 0, 2, 3)
    dw = (x_mat @ dcols.T).reshape(w.shape)
    return np.ascontiguousarray(dx), dw, dout.sum(axis=(0, 2, 3))


# --------------------------------------------------------------------------- pooling


def _pool_geometry(x, pool_param):
    """Validate pooling of x: (N, C, H, W); return (x as float array, ph, pw, stride)."""
    x = np.asarray(x)
    _check_4d("x", x)
    ph = _positive_int(pool_param, "pool_height", 1, "pool_param")
    pw = _positive_int(pool_param, "pool_width", 1, "pool_param")
    stride = _positive_int(pool_param, "stride", 1, "pool_param")
    H, W = x.shape[2:]
    if ph > H or pw > W:
        raise ValueError(f"pool {ph}x{pw} is larger than the input {H}x{W} (x {x.shape})")
    return _as(x, _float_dtype(x)), ph, pw, stride


def max_pool_forward_fast(x, pool_param):
    """Max pooling forward pass.

    Inputs: x: (N, C, H, W); pool_param: {'pool_height', 'pool_width', 'stride'}.
    Returns (out: (N, C, Ho, Wo), cache), Ho = (H - pool_height) // stride + 1.
    """
    x, ph, pw, stride = _pool_geometry(x, pool_param)
    out, argmax = _pool.max_pool_forward(x, ph, pw, stride)
    return out, MaxPoolCache(x.shape, x.dtype, argmax, ph == pw == stride == 2)


def max_pool_backward_fast(dout, cache):
    """Max pooling backward pass: each dout entry goes to exactly one input, the first
    maximum of its window in row-major order (ties included); overlapping windows add.

    Inputs: dout: (N, C, Ho, Wo); cache from the forward pass. Returns dx: (N, C, H, W).
    """
    x_shape, dtype, argmax, pool_2x2 = cache
    dout = _check_dout(dout, argmax.shape, dtype)
    return _pool.max_pool_backward(dout, argmax, x_shape, pool_2x2)


def avg_pool_forward_fast(x, pool_param):
    """Average pooling forward pass.

    Inputs: x: (N, C, H, W); pool_param: {'pool_height', 'pool_width', 'stride'}.
    Returns (out: (N, C, Ho, Wo), cache), Ho = (H - pool_height) // stride + 1.
    """
    x, ph, pw, stride = _pool_geometry(x, pool_param)
    out = _pool.avg_pool_forward(x, ph, pw, stride)
    return out, AvgPoolCache(x.shape, x.dtype, ph, pw, stride)


def avg_pool_backward_fast(dout, cache):
    """Average pooling backward pass: dout / (pool_height * pool_width) to every window input.

    Inputs: dout: (N, C, Ho, Wo); cache from the forward pass. Returns dx: (N, C, H, W).
    """
    x_shape, dtype, ph, pw, stride = cache
    dout = _check_dout(dout, _pool.pool_output_shape(x_shape, ph, pw, stride), dtype)
    return _pool.avg_pool_backward(dout, x_shape, ph, pw, stride)
