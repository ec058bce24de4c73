"""Winograd F(2x2, 3x3) transforms for 3x3, stride-1 convolutions (Lavin & Gray, 2016).

Each 2x2 output tile of a 3x3 convolution equals ``A^T [(G g G^T) * (B^T d B)] A`` where d is
the 4x4 input tile (tiles overlap by 2) and g the 3x3 filter: 16 multiplications instead of
36. Summed over input channels, the elementwise products become 16 independent GEMMs::

    U[k] (F, C) = filter transform,  V[k] (C, T) = input transform,  M[k] = U[k] @ V[k]   (F, T)

with k = 4*r + s the position in the 4x4 transformed tile and T = N * th * tw the number of
tiles, t = (n * th + ty) * tw + tx. Tiles cover the padded input: tile (ty, tx) reads padded
rows 2*ty .. 2*ty+3; th = ceil(Ho / 2) with Ho = H + 2*pad - 2 (a ragged last tile reads zeros
and its extra outputs are dropped).

The backward pass uses the adjoints of the same linear maps: dY (16, F, T) = A dout_tile A^T,
then dU[k] = dY[k] @ V[k]^T (the weight gradient, back through G) and dV[k] = U[k]^T @ dY[k]
(the input gradient, back through B, overlapping tiles summed).
"""
import numpy as np
from numba import njit, prange

#: B^T, G and A^T of F(2x2, 3x3).
BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)


def tile_grid(H, W, pad):
    """(Ho, Wo, th, tw): output size of a 3x3 stride-1 convolution and its 2x2 tile counts."""
    Ho, Wo = H + 2 * pad - 2, W + 2 * pad - 2
    return Ho, Wo, (Ho + 1) // 2, (Wo + 1) // 2


def padded_input(x, pad, th, tw):
    """x: (N, C, H, W) zero-padded to (N, C, 2*th + 2, 2*tw + 2), pad rows/columns before.

    2*th + 2 >= Ho + 2 = H + 2*pad, so every tile's 4x4 window lies inside.
    """
    N, C, H, W = x.shape
    xp = np.zeros((N, C, 2 * th + 2, 2 * tw + 2), dtype=x.dtype)
    xp[:, :, pad : pad + H, pad : pad + W] = x
    return xp


@njit(cache=True)
def _bt(a0, a1, a2, a3):
    """B^T applied to a 4-vector."""
    return a0 - a2, a1 + a2, a2 - a1, a1 - a3


@njit(cache=True)
def _b(a0, a1, a2, a3):
    """B applied to a 4-vector (adjoint of ``_bt``)."""
    return a0, a1 - a2 + a3, a1 + a2 - a0, -a3


@njit(cache=True)
def _at(a0, a1, a2, a3):
    """A^T applied to a 4-vector."""
    return a0 + a1 + a2, a1 - a2 - a3


@njit(cache=True)
def _a(a0, a1):
    """A applied to a 2-vector (adjoint of ``_at``)."""
    return a0, a0 + a1, a0 - a1, -a1


@njit(cache=True, parallel=True)
def _input_transform_kernel(xp, th, tw, V):
    N, C = xp.shape[0], xp.shape[1]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        for ty in range(th):
            for tx in range(tw):
                t = (n * th + ty) * tw + tx
                h = 2 * ty
                w = 2 * tx
                # rows of B^T d
                r00, r10, r20, r30 = _bt(xp[n, c, h, w], xp[n, c, h + 1, w], xp[n, c, h + 2, w], xp[n, c, h + 3, w])
                r01, r11, r21, r31 = _bt(
                    xp[n, c, h, w + 1], xp[n, c, h + 1, w + 1], xp[n, c, h + 2, w + 1], xp[n, c, h + 3, w + 1]
                )
                r02, r12, r22, r32 = _bt(
                    xp[n, c, h, w + 2], xp[n, c, h + 1, w + 2], xp[n, c, h + 2, w + 2], xp[n, c, h + 3, w + 2]
                )
                r03, r13, r23, r33 = _bt(
                    xp[n, c, h, w + 3], xp[n, c, h + 1, w + 3], xp[n, c, h + 2, w + 3], xp[n, c, h + 3, w + 3]
                )
                # then (B^T d) B, row by row
                V[0, c, t], V[1, c, t], V[2, c, t], V[3, c, t] = _bt(r00, r01, r02, r03)
                V[4, c, t], V[5, c, t], V[6, c, t], V[7, c, t] = _bt(r10, r11, r12, r13)
                V[8, c, t], V[9, c, t], V[10, c, t], V[11, c, t] = _bt(r20, r21, r22, r23)
                V[12, c, t], V[13, c, t], V[14, c, t], V[15, c, t] = _bt(r30, r31, r32, r33)


@njit(cache=True, parallel=True)
def _output_transform_kernel(M, bias, th, tw, out):
    N, F, Ho, Wo = out.shape
    for nf in prange(N * F):
        n = nf // F
        f = nf % F
        b = bias[f]
        for ty in range(th):
            for tx in range(tw):
                t = (n * th + ty) * tw + tx
                # A^T M: two rows of four
                a0, b0 = _at(M[0, f, t], M[4, f, t], M[8, f, t], M[12, f, t])
                a1, b1 = _at(M[1, f, t], M[5, f, t], M[9, f, t], M[13, f, t])
                a2, b2 = _at(M[2, f, t], M[6, f, t], M[10, f, t], M[14, f, t])
                a3, b3 = _at(M[3, f, t], M[7, f, t], M[11, f, t], M[15, f, t])
                y00, y01 = _at(a0, a1, a2, a3)
                y10, y11 = _at(b0, b1, b2, b3)
                h = 2 * ty
                w = 2 * tx
                out[n, f, h, w] = y00 + b
                if w + 1 < Wo:
                    out[n, f, h, w + 1] = y01 + b
                if h + 1 < Ho:
                    out[n, f, h + 1, w] = y10 + b
                    if w + 1 < Wo:
                        out[n, f, h + 1, w + 1] = y11 + b


@njit(cache=True, parallel=True)
def _output_adjoint_kernel(g, th, tw, dY):
    N, F = g.shape[0], g.shape[1]
    for nf in prange(N * F):
        n = nf // F
        f = nf % F
        for ty in range(th):
            for tx in range(tw):
                t = (n * th + ty) * tw + tx
                h = 2 * ty
                w = 2 * tx
                # A g: four rows of two (p: column 0, q: column 1), then (A g) A^T row by row
                p0, p1, p2, p3 = _a(g[n, f, h, w], g[n, f, h + 1, w])
                q0, q1, q2, q3 = _a(g[n, f, h, w + 1], g[n, f, h + 1, w + 1])
                dY[0, f, t], dY[1, f, t], dY[2, f, t], dY[3, f, t] = _a(p0, q0)
                dY[4, f, t], dY[5, f, t], dY[6, f, t], dY[7, f, t] = _a(p1, q1)
                dY[8, f, t], dY[9, f, t], dY[10, f, t], dY[11, f, t] = _a(p2, q2)
                dY[12, f, t], dY[13, f, t], dY[14, f, t], dY[15, f, t] = _a(p3, q3)


@njit(cache=True)
def _add_row(dxp, n, c, h, w, e0, e1, e2, e3):
    """dxp[n, c, h, w:w+4] += (e0, e1, e2, e3)."""
    dxp[n, c, h, w] += e0
    dxp[n, c, h, w + 1] += e1
    dxp[n, c, h, w + 2] += e2
    dxp[n, c, h, w + 3] += e3


@njit(cache=True, parallel=True)
def _input_adjoint_kernel(dV, th, tw, pad, dxp, dx):
    N, C, H, W = dx.shape
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        dxp[n, c] = 0
        for ty in range(th):
            for tx in range(tw):
                t = (n * th + ty) * tw + tx
                # B v: one call per column of the 4x4 tile (a: column 0, ..., d: column 3)
                a0, a1, a2, a3 = _b(dV[0, c, t], dV[4, c, t], dV[8, c, t], dV[12, c, t])
                b0, b1, b2, b3 = _b(dV[1, c, t], dV[5, c, t], dV[9, c, t], dV[13, c, t])
                c0, c1, c2, c3 = _b(dV[2, c, t], dV[6, c, t], dV[10, c, t], dV[14, c, t])
                d0, d1, d2, d3 = _b(dV[3, c, t], dV[7, c, t], dV[11, c, t], dV[15, c, t])
                # then (B v) B^T row by row, added into the tile's (overlapping) 4x4 window
                h = 2 * ty
                w = 2 * tx
                e0, e1, e2, e3 = _b(a0, b0, c0, d0)
                _add_row(dxp, n, c, h, w, e0, e1, e2, e3)
                e0, e1, e2, e3 = _b(a1, b1, c1, d1)
                _add_row(dxp, n, c, h + 1, w, e0, e1, e2, e3)
                e0, e1, e2, e3 = _b(a2, b2, c2, d2)
                _add_row(dxp, n, c, h + 2, w, e0, e1, e2, e3)
                e0, e1, e2, e3 = _b(a3, b3, c3, d3)
                _add_row(dxp, n, c, h + 3, w, e0, e1, e2, e3)
        dx[n, c] = dxp[n, c, pad : pad + H, pad : pad + W]


def filter_transform(w):
    """U: (16, F, C) = G g G^T for every filter g = w[f, c] of w: (F, C, 3, 3); w's dtype."""
    F, C = w.shape[:2]
    g = G.astype(w.dtype)
    return np.ascontiguousarray((g @ w @ g.T).reshape(F, C, 16).transpose(2, 0, 1))


def filter_adjoint(dU):
    """dw: (F, C, 3, 3) = G^T dU G for dU: (16, F, C), the adjoint of ``filter_transform``."""
    _, F, C = dU.shape
    g = G.astype(dU.dtype)
    return g.T @ dU.transpose(1, 2, 0).reshape(F, C, 4, 4) @ g


def input_transform(x, pad):
    """V: (16, C, T) = B^T d B for every 4x4 tile d of x: (N, C, H, W) zero-padded by pad."""
    N, C, H, W = x.shape
    _, _, th, tw = tile_grid(H, W, pad)
    V = np.empty((16, C, N * th * tw), dtype=x.dtype)
    _input_transform_kernel(padded_input(x, pad, th, tw), th, tw, V)
    return V


def output_transform(M, b, out_shape):
    """out: out_shape = (N, F, Ho, Wo) from M: (16, F, T): A^T m A per tile, plus b: (F,)."""
    N, F, Ho, Wo = out_shape
    out = np.empty(out_shape, dtype=M.dtype)
    _output_transform_kernel(M, b.astype(M.dtype), (Ho + 1) // 2, (Wo + 1) // 2, out)
    return out


def _even_padded(dout):
    """dout: (N, F, Ho, Wo) zero-padded at the end to even height and width (no copy if even)."""
    N, F, Ho, Wo = dout.shape
    if Ho % 2 == 0 and Wo % 2 == 0:
        return np.ascontiguousarray(dout)
    g = np.zeros((N, F, Ho + Ho % 2, Wo + Wo % 2), dtype=dout.dtype)
    g[:, :, :Ho, :Wo] = dout
    return g


def output_adjoint(dout):
    """dY: (16, F, T) = A g A^T for every 2x2 tile g of dout: (N, F, Ho, Wo) (ragged: zeros)."""
    g = _even_padded(dout)
    N, F, th, tw = g.shape[0], g.shape[1], g.shape[2] // 2, g.shape[3] // 2
    dY = np.empty((16, F, N * th * tw), dtype=dout.dtype)
    _output_adjoint_kernel(g, th, tw, dY)
    return dY


def input_adjoint(dV, x_shape, pad):
    """dx: x_shape = (N, C, H, W) from dV: (16, C, T): B v B^T per tile, overlaps summed."""
    N, C, H, W = x_shape
    _, _, th, tw = tile_grid(H, W, pad)
    dxp = np.empty((N, C, 2 * th + 2, 2 * tw + 2), dtype=dV.dtype)
    dx = np.empty(x_shape, dtype=dV.dtype)
    _input_adjoint_kernel(dV, th, tw, pad, dxp, dx)
    return dx


# ----------------------------------------------------------------------------- references


def _tiles(a, th, tw):
    """(N, C, th, tw, 4, 4) view of the 4x4 tiles of a padded input, taken every 2 pixels."""
    win = np.lib.stride_tricks.sliding_window_view(a, (4, 4), axis=(2, 3))
    return win[:, :, : 2 * th : 2, : 2 * tw : 2]


def _to_kct(tiles):
    """(N, C, th, tw, 4, 4) -> (16, C, T), the GEMM layout."""
    N, C, th, tw = tiles.shape[:4]
    return np.ascontiguousarray(tiles.transpose(4, 5, 1, 0, 2, 3).reshape(16, C, N * th * tw))


def _from_kct(a, N, th, tw):
    """(16, C, T) -> (N, C, th, tw, 4, 4), the inverse of ``_to_kct``."""
    C = a.shape[1]
    return a.reshape(4, 4, C, N, th, tw).transpose(3, 2, 4, 5, 0, 1)


def input_transform_ref(x, pad):
    """NumPy reference of ``input_transform``."""
    N, C, H, W = x.shape
    _, _, th, tw = tile_grid(H, W, pad)
    bt = BT.astype(x.dtype)
    return _to_kct(bt @ _tiles(padded_input(x, pad, th, tw), th, tw) @ bt.T)


def output_transform_ref(M, b, out_shape):
    """NumPy reference of ``output_transform``."""
    N, F, Ho, Wo = out_shape
    th, tw = (Ho + 1) // 2, (Wo + 1) // 2
    at = AT.astype(M.dtype)
    y = at @ _from_kct(M, N, th, tw) @ at.T  # (N, F, th, tw, 2, 2)
    y = y.transpose(0, 1, 2, 4, 3, 5).reshape(N, F, 2 * th, 2 * tw)
    return y[:, :, :Ho, :Wo] + b.astype(M.dtype)[None, :, None, None]


def output_adjoint_ref(dout):
    """NumPy reference of ``output_adjoint``."""
    g = _even_padded(dout)
    N, F, th, tw = g.shape[0], g.shape[1], g.shape[2] // 2, g.shape[3] // 2
    at = AT.astype(dout.dtype)
    tiles = g.reshape(N, F, th, 2, tw, 2).transpose(0, 1, 2, 4, 3, 5)
    return _to_kct(at.T @ tiles @ at)


def input_adjoint_ref(dV, x_shape, pad):
    """NumPy reference of ``input_adjoint``."""
    N, C, H, W = x_shape
    _, _, th, tw = tile_grid(H, W, pad)
    bt = BT.astype(dV.dtype)
    d = bt.T @ _from_kct(dV, N, th, tw) @ bt  # (N, C, th, tw, 4, 4)
    dxp = np.zeros((N, C, 2 * th + 2, 2 * tw + 2), dtype=dV.dtype)
    for r in range(4):
        for s in range(4):
            dxp[:, :, r : r + 2 * th : 2, s : s + 2 * tw : 2] += d[..., r, s]
    return dxp[:, :, pad : pad + H, pad : pad + W]
