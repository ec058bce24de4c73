"""Direct stride-1 convolution, vectorised along the output rows (no im2col matrix).

    out[n, f, y, xo] = b[f] + sum_{c, i, j} w[f, c, i, j] * x_pad[n, c, y + i, xo + j]

with x: (N, C, H, W), w: (F, C, HH, WW), b: (F,), zero padding ``pad_h`` rows and ``pad_w``
columns on each side, out: (N, F, H + 2*pad_h - HH + 1, W + 2*pad_w - WW + 1).

Each image's padded planes are flattened, rows Wp = W + 2*pad_w apart. In that flat layout a
filter row i moves every output by the same offset, so one output plane is a sum of shifted
1-D axpys over one long vector (L = (Ho - 1) * Wp + Wo entries; the Wp - Wo entries between
two output rows are computed and dropped). The kernels are compiled per filter width WW (the
length of a tuple argument; narrower filters get zero taps up to width 3, 5 or 7, so three
compilations serve widths 1 to 7): the WW taps of a filter row are unrolled inside the vectorised
loop with their weights in registers, the accumulator is loaded and stored once per filter
row, and the forward pass runs two filters at once (they share the loads of the input).
Wide filters run out of registers: 11 taps measured ~24x slower than im2col + GEMM, so the
layer uses these kernels for filters at most 7 wide only (``dl4cv.fast_layers``).

The weight gradient is the same walk with the roles swapped: WW running sums over p of
dout_row[p] * x_row[p + j], kept in registers and vectorised (``fastmath`` reassociation).
"""
import numpy as np
from numba import njit, prange
from numba.cpython.unsafe.tuple import tuple_setitem
from numba.extending import overload

#: Bytes of the accumulator's alignment: unaligned vector stores that straddle cache lines
#: made the inner loop ~1.5x slower.
_ALIGN = 64


def _load_tuple(a, like):
    """The first len(like) entries of the 1-D array a, as a tuple of like's type. Compiled,
    the tuple's length is a constant and its entries stay in registers."""
    return tuple(a[: len(like)])


@overload(_load_tuple)
def _load_tuple_compiled(a, like):
    def load(a, like):
        out = like
        for j in range(len(like)):
            out = tuple_setitem(out, j, a[j])
        return out

    return load


@njit(cache=True)
def _aligned_empty(length, dtype_like):
    """An uninitialised 1-D array of length entries of dtype_like's dtype, _ALIGN-aligned."""
    lanes = _ALIGN // dtype_like.itemsize
    buf = np.empty(length + lanes, dtype_like.dtype)
    skip = (-buf.ctypes.data % _ALIGN) // dtype_like.itemsize
    return buf[skip : skip + length]


@njit(cache=True)
def _flat_geometry(x, HH, WW, pad_h, pad_w, Ho, Wo):
    """(Wp, L, size): padded row length, accumulator length (whole aligned vectors, no
    scalar tail) and padded plane length (long enough for every shifted read of L)."""
    Wp = x.shape[3] + 2 * pad_w
    lanes = _ALIGN // x.itemsize
    L = ((Ho - 1) * Wp + Wo + lanes - 1) // lanes * lanes
    return Wp, L, max((x.shape[2] + 2 * pad_h) * Wp, (HH - 1) * Wp + WW - 1 + L)


@njit(cache=True)
def _padded_planes(x, n, pad_h, pad_w, Wp, size):
    """x[n]: (C, H, W) zero-padded, each plane flattened: (C, size), rows Wp apart."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    flat = np.zeros((C, size), x.dtype)
    for c in range(C):
        for h in range(H):
            row = (h + pad_h) * Wp + pad_w
            flat[c, row : row + W] = x[n, c, h]
    return flat


@njit(cache=True, fastmath={"contract"})
def _add_filter_row(acc, src, taps):
    """acc[p] += sum_j taps[j] * src[p + j] for every p (one filter row, one output plane)."""
    for p in range(acc.shape[0]):
        s = acc[p]
        for j in range(len(taps)):
            s += taps[j] * src[p + j]
        acc[p] = s


@njit(cache=True, fastmath={"contract"})
def _add_filter_rows(acc_f, acc_g, src, taps_f, taps_g):
    """``_add_filter_row`` for two filters at once: they share the loads of src."""
    for p in range(acc_f.shape[0]):
        s_f = acc_f[p]
        s_g = acc_g[p]
        for j in range(len(taps_f)):
            s_f += taps_f[j] * src[p + j]
            s_g += taps_g[j] * src[p + j]
        acc_f[p] = s_f
        acc_g[p] = s_g


@njit(cache=True, parallel=True)
def _conv_stride1_kernel(x, w, b, pad_h, pad_w, out, zero_taps):
    WW = len(zero_taps)  # a compile-time constant: zero_taps is a tuple of WW zeros
    N, C = x.shape[0], x.shape[1]
    F, HH = w.shape[0], w.shape[2]
    Ho, Wo = out.shape[2], out.shape[3]
    Wp, L, size = _flat_geometry(x, HH, WW, pad_h, pad_w, Ho, Wo)
    for n in prange(N):
        flat = _padded_planes(x, n, pad_h, pad_w, Wp, size)
        acc = _aligned_empty(2 * L, x)  # output planes of filters f and f + 1
        acc_f, acc_g = acc[:L], acc[L:]
        for f in range(0, F, 2):
            pair = f + 1 < F
            acc_f[:] = b[f]
            if pair:
                acc_g[:] = b[f + 1]
            for c in range(C):
                for i in range(HH):
                    src = flat[c, i * Wp : i * Wp + L + WW - 1]
                    taps_f = _load_tuple(w[f, c, i], zero_taps)
                    if pair:
                        _add_filter_rows(acc_f, acc_g, src, taps_f, _load_tuple(w[f + 1, c, i], zero_taps))
                    else:
                        _add_filter_row(acc_f, src, taps_f)
            for y in range(Ho):
                out[n, f, y] = acc_f[y * Wp : y * Wp + Wo]
                if pair:
                    out[n, f + 1, y] = acc_g[y * Wp : y * Wp + Wo]


def _add_products(sums, d, src, p):
    """sums + d * src[p : p + len(sums)], elementwise, as a tuple like sums."""
    return tuple(s + d * v for s, v in zip(sums, src[p : p + len(sums)]))


@overload(_add_products)
def _add_products_compiled(sums, d, src, p):
    def add(sums, d, src, p):
        for j in range(len(sums)):
            sums = tuple_setitem(sums, j, sums[j] + d * src[p + j])
        return sums

    return add


@njit(cache=True, parallel=True, fastmath={"contract", "reassoc"})
def _weight_grad_kernel(x, dout, pad_h, pad_w, dw_parts, db_parts, zero_taps):
    WW = len(zero_taps)
    N, C = x.shape[0], x.shape[1]
    F, Ho, Wo = dout.shape[1], dout.shape[2], dout.shape[3]
    HH = dw_parts.shape[3]
    Wp, L, size = _flat_geometry(x, HH, WW, pad_h, pad_w, Ho, Wo)
    for n in prange(N):
        flat = _padded_planes(x, n, pad_h, pad_w, Wp, size)
        d = np.zeros(L, x.dtype)  # dout[n, f] with rows Wp apart (zeros between them)
        for f in range(F):
            for y in range(Ho):
                d[y * Wp : y * Wp + Wo] = dout[n, f, y]
            db_parts[n, f] = d.sum()
            for c in range(C):
                for i in range(HH):
                    src = flat[c, i * Wp : i * Wp + L + WW - 1]
                    sums = zero_taps
                    for p in range(L):
                        sums = _add_products(sums, d[p], src, p)
                    for j in range(WW):
                        dw_parts[n, f, c, i, j] = sums[j]


#: The kernels are compiled per filter width (~12 s each per dtype); narrower filters run with
#: zero taps appended up to the next of these widths, so three compilations cover widths 1-7.
_WIDTHS = (3, 5, 7)


def _compiled_width(WW):
    """The filter width the kernels run WW as: the next of _WIDTHS (WW itself beyond them)."""
    return next((width for width in _WIDTHS if width >= WW), WW)


def conv_stride1_weight_grad(x, dout, pad_h, pad_w, HH, WW):
    """(dw: (F, C, HH, WW), db: (F,)) of ``conv_stride1`` from its input x: (N, C, H, W) and
    the output gradient dout: (N, F, Ho, Wo): dw[f, c, i, j] = sum_{n, y, xo} dout[n, f, y, xo]
    * x_pad[n, c, y + i, xo + j], db[f] = sum_{n, y, xo} dout[n, f, y, xo]. The kernel runs
    in parallel over images; their parts are summed at the end."""
    N, C, F = x.shape[0], x.shape[1], dout.shape[1]
    dw_parts = np.empty((N, F, C, HH, _compiled_width(WW)), dtype=x.dtype)  # extra columns dropped
    db_parts = np.empty((N, F), dtype=x.dtype)
    zero_taps = (x.dtype.type(0),) * dw_parts.shape[4]
    _weight_grad_kernel(
        np.ascontiguousarray(x), np.ascontiguousarray(dout), pad_h, pad_w, dw_parts, db_parts, zero_taps
    )
    return dw_parts.sum(axis=0)[..., :WW], db_parts.sum(axis=0)


def conv_stride1(x, w, b, pad_h, pad_w):
    """Stride-1 convolution of x: (N, C, H, W) with w: (F, C, HH, WW) plus b: (F,), zero
    padding pad_h >= 0 rows and pad_w >= 0 columns per side; all one float dtype.
    Returns out: (N, F, H + 2*pad_h - HH + 1, W + 2*pad_w - WW + 1), C-contiguous."""
    N, H, W = x.shape[0], x.shape[2], x.shape[3]
    F, _, HH, WW = w.shape
    out = np.empty((N, F, H + 2 * pad_h - HH + 1, W + 2 * pad_w - WW + 1), dtype=x.dtype)
    w_run = np.zeros(w.shape[:3] + (_compiled_width(WW),), dtype=w.dtype)  # zero taps appended
    w_run[..., :WW] = w
    zero_taps = (x.dtype.type(0),) * w_run.shape[3]
    _conv_stride1_kernel(np.ascontiguousarray(x), w_run, b, pad_h, pad_w, out, zero_taps)
    return out


def conv_stride1_ref(x, w, b, pad_h, pad_w):
    """NumPy reference of ``conv_stride1`` (one tensordot per filter offset)."""
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
    Ho, Wo = x_pad.shape[2] - HH + 1, x_pad.shape[3] - WW + 1
    out = np.zeros((x.shape[0], F, Ho, Wo), dtype=x.dtype)
    for i in range(HH):
        for j in range(WW):
            out += np.einsum("fc,nchw->nfhw", w[:, :, i, j], x_pad[:, :, i : i + Ho, j : j + Wo])
    return out + b[None, :, None, None]


def conv_stride1_weight_grad_ref(x, dout, pad_h, pad_w, HH, WW):
    """NumPy reference of ``conv_stride1_weight_grad`` (one tensordot per filter offset)."""
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
    Ho, Wo = dout.shape[2:]
    dw = np.empty((dout.shape[1], x.shape[1], HH, WW), dtype=x.dtype)
    for i in range(HH):
        for j in range(WW):
            dw[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout, x_pad[:, :, i : i + Ho, j : j + Wo])
    return dw, dout.sum(axis=(0, 2, 3))
