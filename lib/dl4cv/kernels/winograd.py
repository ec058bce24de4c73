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

Kernels work one channel (or filter) at a time, over all N images: the channel is first split
by row and column parity into a scratch array S: (16, T) in which each of the 16 positions of a
4x4 tile, taken over all the channel's tiles, is one contiguous row; every transform is then a
few passes of ``dst[t] = sum of c * src[t]`` over whole rows of T tiles, which LLVM vectorises,
and each pass writes (or reads) one contiguous row of the (16, C, T) GEMM operand. (Working
plane by plane instead, with runs of th * tw tiles, the four transforms of case C, float32,
took ~47 ms; channel-major planes ~28 ms; whole channels ~17 ms.) The scratch arrays are
allocated by NumPy in the wrappers. The kernels are serial: they are memory-bound and run
between multi-threaded BLAS calls, where Numba's threads measurably slowed the layer down on
2 cores (docs/fast_layers.md).
"""
import numpy as np
from numba import njit

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


def _terms(L, R, width):
    """Sparse form of the 2-D transform out[p, q] = sum_{i, j} L[p, i] R[q, j] src[i, j].

    Returns (ij, coef): ij (P*Q, width, 2) int64 and coef (P*Q, width) float64, output row
    p * Q + q; each output's nonzero terms first, padded with zero coefficients to ``width``.
    """
    ij = np.zeros((L.shape[0] * R.shape[0], width, 2), dtype=np.int64)
    coef = np.zeros((L.shape[0] * R.shape[0], width))
    for p in range(L.shape[0]):
        for q in range(R.shape[0]):
            terms = [(i, j, L[p, i] * R[q, j]) for i in range(L.shape[1]) for j in range(R.shape[1]) if L[p, i] * R[q, j]]
            for a, (i, j, c) in enumerate(terms):
                ij[p * R.shape[0] + q, a] = i, j
                coef[p * R.shape[0] + q, a] = c
    return ij, coef


# The kernels index with unsigned integers (uint64 throughout: mixing with int64 would give
# float64) and without slicing inside the inner loops: a signed index costs a wrap-around
# test that stops LLVM vectorising, and every slice of an array is a reference-count update.
_U = np.uint64


@njit(cache=True)
def _comb4(dst, d_row, d_off, src, rows, offs, c, P):
    """dst[d_row, d_off + t] = sum_{a < 4} c[a] * src[rows[a], offs[a] + t] for t < P."""
    r0, r1, r2, r3 = rows[0], rows[1], rows[2], rows[3]
    o0, o1, o2, o3 = offs[0], offs[1], offs[2], offs[3]
    c0, c1, c2, c3 = c[0], c[1], c[2], c[3]
    for t in range(P):
        dst[d_row, d_off + t] = c0 * src[r0, o0 + t] + c1 * src[r1, o1 + t] + c2 * src[r2, o2 + t] + c3 * src[r3, o3 + t]


@njit(cache=True)
def _comb3(dst, d_row, d_off, src, r0, r1, r2, off, c, P):
    """dst[d_row, d_off + t] = sum_{a < 3} c[a] * src[r_a, off + t] for t < P."""
    c0, c1, c2 = c[0], c[1], c[2]
    for t in range(P):
        dst[d_row, d_off + t] = c0 * src[r0, off + t] + c1 * src[r1, off + t] + c2 * src[r2, off + t]


@njit(cache=True)
def _down(D, src, F, f, T, idx, coef):
    """D[4p + s, t] = sum_a coef[p, a] src[(4 idx[p, a] + s) * F + f, t] for t < T: the rows of a
    4x4 transform applied down the tile columns s of channel f of src: (16, F, T) as (16 * F, T)."""
    for p in range(idx.shape[0]):
        r0, r1, r2 = idx[p, 0], idx[p, 1], idx[p, 2]
        for s in range(4):
            rows = ((4 * r0 + s) * F + f, (4 * r1 + s) * F + f, (4 * r2 + s) * F + f)
            _comb3(D, _U(4 * p + s), _U(0), src, _U(rows[0]), _U(rows[1]), _U(rows[2]), _U(0), coef[p], T)


@njit(cache=True)
def _parity_runs(W, pad, tw, pc):
    """The columns w = sw + 2m (m = 0, 1, ...) of a row of width W whose padded column w + pad has
    parity pc lie in tile column j0 + m at offset pc (o = 0) for m < end0, and in tile column
    j0 + m - 1 at offset 2 + pc (o = 1) for lo1 <= m < end1. Returns (sw, j0, end0, lo1, end1), uint64."""
    w0 = (pc + pad) % 2
    j0 = (w0 + pad) // 2
    count = (W - w0 + 1) // 2
    return _U(w0), j0, _U(max(0, min(count, tw - j0))), _U(max(0, 1 - j0)), _U(max(0, min(count, tw - j0 + 1)))


@njit(cache=True)
def _split_channel(x, c, pad, th, tw, S, merge):
    """merge False: S: (16, N * th * tw) <- channel c of x: (N, C, H, W) zero-padded (pad rows and
    columns before), S[8e + 4o + 2pc + pr, n * th * tw + ty * tw + tx] = x_pad[n, c, 2 (ty + e) + pr,
    2 (tx + o) + pc], so the padded pixel (2ty + i, 2tx + j) of tile t = (n * th + ty) * tw + tx is
    S[8 (i // 2) + 4 (j // 2) + 2 (j % 2) + i % 2, t]: one contiguous run over all the channel's
    tiles for each of the 16 tile positions (i, j).

    merge True, the adjoint: x[:, c] <- each pixel the sum of its (up to four) copies in S."""
    N, H, W = x.shape[0], x.shape[2], x.shape[3]
    P = th * tw
    if not merge:
        S[:] = 0
    for n in range(N):
        for h in range(H):
            hr, pr = (h + pad) // 2, (h + pad) % 2
            row_x = x[n, c, h]
            if merge:
                row_x[:] = 0
            for e in range(2):
                ty = hr - e
                if ty < 0 or ty >= th:
                    continue
                for pc in range(2):
                    sw, j0, end0, lo1, end1 = _parity_runs(W, pad, tw, pc)
                    row, base = 8 * e + 2 * pc + pr, _U(n * P + ty * tw + j0)
                    if merge:
                        for m in range(end0):
                            row_x[sw + _U(2) * m] += S[row, base + m]
                        for m in range(lo1, end1):
                            row_x[sw + _U(2) * m] += S[row + 4, base + m - _U(1)]
                    else:
                        for m in range(end0):
                            S[row, base + m] = row_x[sw + _U(2) * m]
                        for m in range(lo1, end1):
                            S[row + 4, base + m - _U(1)] = row_x[sw + _U(2) * m]


def _split_rows(ij):
    """Rows (uint64) of ``_split_channel``'s S for the tile positions ij (..., 2)."""
    i, j = ij[..., 0], ij[..., 1]
    return (8 * (i // 2) + 4 * (j // 2) + 2 * (j % 2) + i % 2).astype(_U)


@njit(cache=True)
def _input_transform_kernel(x, pad, th, tw, rows, coef, V, S):
    """V: (16, C, T) as (16 * C, T); rows, coef: (16, 4) terms of B^T d B in _split_channel's
    layout; S: (16, T) scratch. One channel at a time, each of V's 16 rows of c in one pass."""
    C = x.shape[1]
    T = _U(S.shape[1])
    offs = np.zeros(4, dtype=_U)
    for c in range(C):
        _split_channel(x, c, pad, th, tw, S, False)
        for k in range(16):
            _comb4(V, _U(k * C + c), _U(0), S, rows[k], offs, coef[k], T)


@njit(cache=True)
def _output_transform_kernel(M, F, bias, th, tw, at_idx, at_coef, out, D, Y):
    """M: (16, F, T) as (16 * F, T); at_idx, at_coef: (2, 3) nonzeros of the rows of A^T;
    D: (8, T), Y: (4, T) scratch. One filter at a time, each pass over all its T tiles."""
    N, _, Ho, Wo = out.shape
    P = th * tw
    T = _U(N * P)
    for f in range(F):
        # A^T down: D[4p + s] = sum_a at[p, a] M[4 r_a + s]; then across: Y[2q + p] = pixel (2ty + p, 2tx + q)
        _down(D, M, F, f, T, at_idx, at_coef)
        for q in range(2):
            s0, s1, s2 = at_idx[q, 0], at_idx[q, 1], at_idx[q, 2]
            for p in range(2):
                _comb3(Y, _U(2 * q + p), _U(0), D, _U(4 * p + s0), _U(4 * p + s1), _U(4 * p + s2), _U(0), at_coef[q], T)
        b = bias[f]
        for n in range(N):
            for h in range(Ho):
                y0, y1, base = _U(h % 2), _U(2 + h % 2), _U(n * P + (h // 2) * tw)
                for j in range(_U(Wo // 2)):
                    out[n, f, h, _U(2) * j] = Y[y0, base + j] + b
                    out[n, f, h, _U(2) * j + _U(1)] = Y[y1, base + j] + b
                if Wo % 2:
                    out[n, f, h, Wo - 1] = Y[y0, base + _U(Wo // 2)] + b


@njit(cache=True)
def _output_adjoint_kernel(g, th, tw, rows, coef, dY, plane_sums, G):
    """dY: (16, F, T) as (16 * F, T); rows, coef: (16, 4) terms of A g A^T over G's rows 2q + p;
    G: (4, T) scratch. One filter f at a time: G gathers the 2x2 tiles of every image's plane
    (n, f), G[2q + p, t] = g[n, f, 2ty + p, 2tx + q]; then each of dY's 16 rows of f is one pass."""
    N, F = g.shape[0], g.shape[1]
    P = th * tw
    T = _U(N * P)
    offs = np.zeros(4, dtype=_U)
    for f in range(F):
        for n in range(N):
            total = 0.0
            for h in range(2 * th):
                row0, base = h % 2, _U(n * P + (h // 2) * tw)
                for m in range(_U(tw)):
                    v0, v1 = g[n, f, h, _U(2) * m], g[n, f, h, _U(2) * m + _U(1)]
                    G[row0, base + m] = v0
                    G[row0 + 2, base + m] = v1
                    total += v0 + v1
            plane_sums[n * F + f] = total
        for k in range(16):
            _comb4(dY, _U(k * F + f), _U(0), G, rows[k], offs, coef[k], T)


@njit(cache=True)
def _input_adjoint_kernel(dV, th, tw, pad, b_idx, b_coef, dx, D, Z):
    """dV: (16, C, T) as (16 * C, T); b_idx, b_coef: (4, 3) nonzeros of the rows of B = (B^T)^T;
    D, Z: (16, T) scratch. One channel at a time, each pass over all its T tiles."""
    C = dx.shape[1]
    T = _U(D.shape[1])
    for c in range(C):
        # B down: D[4i + s] = sum_a b[i, a] dV[4 r_a + s]; then B across into Z, whose rows are
        # _split_channel's layout (one row per tile position (i, j)); its merge sums the overlaps
        _down(D, dV, C, c, T, b_idx, b_coef)
        for i in range(4):
            for j in range(4):
                s0, s1, s2 = b_idx[j, 0], b_idx[j, 1], b_idx[j, 2]
                zrow = _U(8 * (i // 2) + 4 * (j // 2) + 2 * (j % 2) + i % 2)
                _comb3(Z, zrow, _U(0), D, _U(4 * i + s0), _U(4 * i + s1), _U(4 * i + s2), _U(0), b_coef[j], T)
        _split_channel(dx, c, pad, th, tw, Z, True)


def _sparse_rows(mat, dtype):
    """(idx, coef) of the nonzeros of each row of mat, padded to the longest row with zeros."""
    width = max(np.count_nonzero(row) for row in mat)
    idx = np.zeros((len(mat), width), dtype=np.int64)
    coef = np.zeros((len(mat), width), dtype=dtype)
    for i, row in enumerate(mat):
        nz = np.flatnonzero(row)
        idx[i, : len(nz)], coef[i, : len(nz)] = nz, row[nz]
    return idx, coef


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
    S = np.empty((16, N * th * tw), dtype=x.dtype)
    coef = _BTDB[1].astype(x.dtype)
    _input_transform_kernel(np.ascontiguousarray(x), pad, th, tw, _split_rows(_BTDB[0]), coef, V.reshape(16 * C, -1), S)
    return V


def output_transform(M, b, out_shape, out=None):
    """out: out_shape = (N, F, Ho, Wo) from M: (16, F, T): A^T m A per tile, plus b: (F,).

    out: a C-contiguous array of that shape and M's dtype to write into (else a new one)."""
    N, F, Ho, Wo = out_shape
    out = np.empty(out_shape, dtype=M.dtype) if out is None else out
    idx, coef = _AT_ROWS
    M2 = np.ascontiguousarray(M).reshape(16 * F, -1)
    D, Y = np.empty((8, M2.shape[1]), dtype=M.dtype), np.empty((4, M2.shape[1]), dtype=M.dtype)
    _output_transform_kernel(M2, F, b.astype(M.dtype), (Ho + 1) // 2, (Wo + 1) // 2, idx, coef.astype(M.dtype), out, D, Y)
    return out


def _even_padded(dout):
    """dout: (N, F, Ho, Wo) zero-padded at the end to even height and width (no copy if even)."""
    N, F, Ho, Wo = dout.shape
    if Ho % 2 == 0 and Wo % 2 == 0:
        return np.ascontiguousarray(dout)
    g = np.zeros((N, F, Ho + Ho % 2, Wo + Wo % 2), dtype=dout.dtype)
    g[:, :, :Ho, :Wo] = dout
    return g


def output_adjoint(dout, dY=None):
    """(dY, db) for dout: (N, F, Ho, Wo): dY: (16, F, T) = A g A^T for every 2x2 tile g of dout
    (a ragged tile reads zeros) and db: (F,) = dout summed over (N, Ho, Wo), dout's dtype.

    dY: a C-contiguous array of that shape and dtype to write into (else a new one)."""
    g = _even_padded(dout)
    N, F, th, tw = g.shape[0], g.shape[1], g.shape[2] // 2, g.shape[3] // 2
    dY = np.empty((16, F, N * th * tw), dtype=dout.dtype) if dY is None else dY
    plane_sums = np.empty(N * F)
    ij, coef = _AGAT
    rows = (2 * ij[..., 1] + ij[..., 0]).astype(_U)
    G4 = np.empty((4, N * th * tw), dtype=dout.dtype)
    _output_adjoint_kernel(g, th, tw, rows, coef.astype(dout.dtype), dY.reshape(16 * F, -1), plane_sums, G4)
    return dY, plane_sums.reshape(N, F).sum(axis=0).astype(dout.dtype)


def input_adjoint(dV, x_shape, pad, dx=None):
    """dx: x_shape = (N, C, H, W) from dV: (16, C, T): B v B^T per tile, overlaps summed.

    dx: a C-contiguous array of that shape and dV's dtype to write into (else a new one)."""
    N, C, H, W = x_shape
    _, _, th, tw = tile_grid(H, W, pad)
    dx = np.empty(x_shape, dtype=dV.dtype) if dx is None else dx
    idx, coef = _B_ROWS
    dV2 = np.ascontiguousarray(dV).reshape(16 * C, -1)
    D, Z = np.empty((2, 16, dV2.shape[1]), dtype=dV.dtype)
    _input_adjoint_kernel(dV2, th, tw, pad, idx, coef.astype(dV.dtype), dx, D, Z)
    return dx


#: Sparse forms of the transforms the kernels apply (see ``_terms`` and ``_sparse_rows``).
_BTDB = _terms(BT, BT, 4)
_AGAT = _terms(AT.T, AT.T, 4)
_AT_ROWS = _sparse_rows(AT, np.float64)
_B_ROWS = _sparse_rows(BT.T, np.float64)


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
    """NumPy reference of ``output_adjoint``: (dY, db)."""
    g = _even_padded(dout)
    N, F, th, tw = g.shape[0], g.shape[1], g.shape[2] // 2, g.shape[3] // 2
    at = AT.astype(dout.dtype)
    tiles = g.reshape(N, F, th, 2, tw, 2).transpose(0, 1, 2, 4, 3, 5)
    return _to_kct(at.T @ tiles @ at), dout.sum(axis=(0, 2, 3))


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
