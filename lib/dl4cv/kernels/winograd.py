"""Winograd F(4x4, 3x3) transforms for 3x3, stride-1 convolutions (Lavin & Gray, 2016).

Each 4x4 output tile of a 3x3 convolution equals ``A^T [(G g G^T) * (B^T d B)] A`` where d is
the 6x6 input tile (tiles overlap by 2) and g the 3x3 filter: 36 multiplications instead of
144. Summed over input channels, the elementwise products become 36 independent GEMMs::

    U[k] (F, C) = filter transform,  V[k] (C, T) = input transform,  M[k] = U[k] @ V[k]   (F, T)

with k = 6*p + q the position in the 6x6 transformed tile. Tile (ty, tx) reads padded rows
4*ty .. 4*ty+5 and columns 4*tx .. 4*tx+5; th = ceil(Ho / 4) with Ho = H + 2*pad - 2 (a ragged
last tile reads zeros and its extra outputs are dropped).

The backward pass uses the adjoints of the same linear maps: dY (36, F, T) = A dout_tile A^T,
then dU[k] = dY[k] @ V[k]^T (the weight gradient, back through G) and dV[k] = U[k]^T @ dY[k]
(the input gradient, back through B, overlapping tiles summed).

**Blocks and tile order.** The transforms work on a block ``(n0, n1, ty0, ty1)``: images
n0 .. n1-1 and tile rows ty0 .. ty1-1 (every tile column), so a layer can stream cache-sized
blocks through reused buffers. Within a block the image is the fastest index,
``t = ((ty - ty0) * tw + tx) * nb + (n - n0)`` with nb = n1 - n0. The kernels first copy a
channel's rows into a scratch plane split by column phase (``_plane``), in which each of the 36
positions of a tile row's tiles, over the block's images, is one contiguous run of tw * nb
values; every transform step is then a vectorised 1-D transform over such runs (a down pass,
then an across pass). The order of t is free because the GEMMs treat tiles independently;
``dU = dY V^T`` only needs dY and V in the same order.

The block plan lives here too (:func:`parts`, :func:`blocks`, :func:`block_buffers`): the
kernels are serial and release the GIL, and the layer (``dl4cv.fast_layers``) runs one part, a
sequence of blocks through its own reused buffers, per worker thread (``dl4cv.parallel``).
"""
import numpy as np
from numba import njit

#: Output tile side of F(4x4, 3x3) (input tiles are M_TILE + 2 wide).
M_TILE = 4

#: B^T, G and A^T of F(4x4, 3x3), interpolation points 0, 1, -1, 2, -2 and infinity.
BT = np.array(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    dtype=np.float64,
)
G = np.array(
    [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]
)
AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], dtype=np.float64)

# The runs along a row (the vectorised inner loops) index with unsigned integers: a signed
# index costs a wrap-around test that stops LLVM vectorising. Row indices stay int64 (mixing
# them with uint64 would give float64).
_U = np.uint64


def tile_count(size):
    """Tiles along an output axis of length size: ceil(size / M_TILE)."""
    return -(-size // M_TILE)


def tile_grid(H, W, pad):
    """(Ho, Wo, th, tw): output size of a 3x3 stride-1 convolution and its 4x4 tile counts."""
    Ho, Wo = H + 2 * pad - 2, W + 2 * pad - 2
    return Ho, Wo, tile_count(Ho), tile_count(Wo)


def block_tiles(block, tw):
    """Number of tiles T of a block (n0, n1, ty0, ty1) with tw tile columns."""
    n0, n1, ty0, ty1 = block
    return (n1 - n0) * (ty1 - ty0) * tw


#: Bytes of a block's (36, channels, T) GEMM operand. Large: the 36 GEMMs per block are small
#: (K = C), so fewer, longer ones run nearer BLAS's peak, and a block's halo (two input rows
#: shared with the next block) is transformed twice. Case C, float32, backward: 33-39 ms with
#: 2 MB blocks (4 per layer), 24 ms with 16 MB (one).
BLOCK_BYTES = 2**24

#: Most images in a block: the length of the transforms' vectorised runs.
BLOCK_IMAGES = 64


def blocks(n0, n1, th, tw, channels, itemsize):
    """[(n0, n1, ty0, ty1), ...]: the tiles of images n0 .. n1-1 in blocks of at most
    BLOCK_IMAGES images and as many of the th tile rows as keep a block's (36, channels, T)
    GEMM operand within BLOCK_BYTES (at least one row)."""
    chunks = -(-(n1 - n0) // BLOCK_IMAGES)
    nb = -(-(n1 - n0) // chunks)
    rows = max(1, BLOCK_BYTES // (36 * channels * tw * nb * itemsize))
    return [(m0, min(n1, m0 + nb), ty0, min(th, ty0 + rows)) for m0 in range(n0, n1, nb) for ty0 in range(0, th, rows)]


def parts(N, th, tw, channels, itemsize, workers):
    """[[block, ...], ...]: the N images split evenly into one part per worker (at most N parts),
    each part in blocks (:func:`blocks`)."""
    count = min(workers, N)
    bounds = [N * i // count for i in range(count + 1)]
    return [blocks(n0, n1, th, tw, channels, itemsize) for n0, n1 in zip(bounds, bounds[1:])]


def block_buffers(part, tw, dtype, *channels):
    """One flat buffer per channel count, for the largest block of part's (36, channels, T) operand."""
    T = max(block_tiles(block, tw) for block in part)
    return [np.empty(36 * ch * T, dtype=dtype) for ch in channels]


# The four 1-D transforms, each applied to L columns at once: input rows src[s0 + i * ss, soff + t]
# (i < 6, or 4 for A), output rows dst[d0 + p * ds, doff + t] (overwritten, or added to with add).
# The coefficients are written out (they are B^T, B, A^T and A above) so that LLVM keeps every
# value in registers: one load per input and one store per output for each t.


@njit(cache=True, inline="always")
def _put(dst, row, col, value, add):
    """dst[row, col] = value, or += value with add."""
    if add:
        dst[row, col] += value
    else:
        dst[row, col] = value


@njit(cache=True)
def _bt_1d(dst, d0, ds, doff, src, s0, ss, soff, L, add):
    """B^T times a column of 6 (input transform)."""
    for t in range(_U(L)):
        x0, x1, x2, x3 = src[s0, soff + t], src[s0 + ss, soff + t], src[s0 + 2 * ss, soff + t], src[s0 + 3 * ss, soff + t]
        x4, x5 = src[s0 + 4 * ss, soff + t], src[s0 + 5 * ss, soff + t]
        a, b = x4 - 4 * x2, x3 - 4 * x1
        c, d = x4 - x2, 2 * (x3 - x1)
        _put(dst, d0, doff + t, 4 * x0 - 5 * x2 + x4, add)
        _put(dst, d0 + ds, doff + t, a + b, add)
        _put(dst, d0 + 2 * ds, doff + t, a - b, add)
        _put(dst, d0 + 3 * ds, doff + t, c + d, add)
        _put(dst, d0 + 4 * ds, doff + t, c - d, add)
        _put(dst, d0 + 5 * ds, doff + t, 4 * x1 - 5 * x3 + x5, add)


@njit(cache=True)
def _b_1d(dst, d0, ds, doff, src, s0, ss, soff, L, add):
    """B = (B^T)^T times a column of 6 (input gradient)."""
    for t in range(_U(L)):
        v0, v1, v2, v3 = src[s0, soff + t], src[s0 + ss, soff + t], src[s0 + 2 * ss, soff + t], src[s0 + 3 * ss, soff + t]
        v4, v5 = src[s0 + 4 * ss, soff + t], src[s0 + 5 * ss, soff + t]
        s12, d12, s34, d34 = v1 + v2, v2 - v1, v3 + v4, v3 - v4
        _put(dst, d0, doff + t, 4 * v0, add)
        _put(dst, d0 + ds, doff + t, 4 * d12 - 2 * d34 + 4 * v5, add)
        _put(dst, d0 + 2 * ds, doff + t, -5 * v0 - 4 * s12 - s34, add)
        _put(dst, d0 + 3 * ds, doff + t, 2 * d34 - d12 - 5 * v5, add)
        _put(dst, d0 + 4 * ds, doff + t, v0 + s12 + s34, add)
        _put(dst, d0 + 5 * ds, doff + t, v5, add)


@njit(cache=True)
def _at_1d(dst, d0, ds, doff, src, s0, ss, soff, L, add):
    """A^T times a column of 6 (output transform): 4 outputs."""
    for t in range(_U(L)):
        m0, m1, m2, m3 = src[s0, soff + t], src[s0 + ss, soff + t], src[s0 + 2 * ss, soff + t], src[s0 + 3 * ss, soff + t]
        m4, m5 = src[s0 + 4 * ss, soff + t], src[s0 + 5 * ss, soff + t]
        s12, d12, s34, d34 = m1 + m2, m1 - m2, m3 + m4, m3 - m4
        _put(dst, d0, doff + t, m0 + s12 + s34, add)
        _put(dst, d0 + ds, doff + t, d12 + 2 * d34, add)
        _put(dst, d0 + 2 * ds, doff + t, s12 + 4 * s34, add)
        _put(dst, d0 + 3 * ds, doff + t, d12 + 8 * d34 + m5, add)


@njit(cache=True)
def _a_1d(dst, d0, ds, doff, src, s0, ss, soff, L, add):
    """A = (A^T)^T times a column of 4 (output gradient): 6 outputs."""
    for t in range(_U(L)):
        g0, g1, g2, g3 = src[s0, soff + t], src[s0 + ss, soff + t], src[s0 + 2 * ss, soff + t], src[s0 + 3 * ss, soff + t]
        s02, s13, e02, e13 = g0 + g2, g1 + g3, g0 + 4 * g2, 2 * g1 + 8 * g3
        _put(dst, d0, doff + t, g0, add)
        _put(dst, d0 + ds, doff + t, s02 + s13, add)
        _put(dst, d0 + 2 * ds, doff + t, s02 - s13, add)
        _put(dst, d0 + 3 * ds, doff + t, e02 + e13, add)
        _put(dst, d0 + 4 * ds, doff + t, e02 - e13, add)
        _put(dst, d0 + 5 * ds, doff + t, g3, add)


@njit(cache=True)
def _plane(x, c, n0, nb, h0, w0, X, merge):
    """merge False: X[4 r + w % 4, (w // 4) * nb + k] = x[n0 + k, c, h0 + r, w - w0] (0 outside x)
    for every row r < X.shape[0] // 4, column w < 4 * X.shape[1] // nb and image k < nb. Position
    (i, j) of the tiles of tile row ty is then one contiguous run over (tx, k):
    X[4 (4 ty + i) + j % 4, (j // 4) * nb + tx * nb + k].

    merge True, the adjoint: x[n0 + k, c, h0 + r, w - w0] += X[4 r + w % 4, (w // 4) * nb + k] inside x."""
    H, W = x.shape[2], x.shape[3]
    if not merge:
        X[:] = 0
    for k0 in range(0, nb, 8):  # 8 images at a time: their rows stay in L1 and the TLB
        kn = _U(min(8, nb - k0))
        for r in range(X.shape[0] // 4):
            h = h0 + r
            if h < 0 or h >= H:
                continue
            for w in range(max(0, w0), min(W + w0, 4 * (X.shape[1] // nb))):
                row, col, xw = 4 * r + w % 4, _U((w // 4) * nb + k0), w - w0
                if merge:
                    for k in range(kn):
                        x[n0 + k0 + k, c, h, xw] += X[row, col + k]
                else:
                    for k in range(kn):
                        X[row, col + k] = x[n0 + k0 + k, c, h, xw]


@njit(cache=True, nogil=True)
def _input_kernel(x, pad, block, tw, V, X, D):
    """V: (36 * C, T) rows k * C + c <- B^T d B of block's tiles of x: (N, C, H, W) padded by pad.

    X: (4 * rows, (tw + 1) * nb), D: (36, tw * nb) scratch."""
    n0, n1, ty0, ty1 = block
    C, nb = x.shape[1], n1 - n0
    L = tw * nb
    for c in range(C):
        _plane(x, c, n0, nb, 4 * ty0 - pad, pad, X, False)
        for ty in range(ty1 - ty0):
            t0 = _U(ty * L)
            for j in range(6):  # down, column j: D[6p + j] = sum_i BT[p, i] d[i, j]
                _bt_1d(D, j, 6, _U(0), X, 16 * ty + j % 4, 4, _U(j // 4 * nb), L, False)
            for p in range(6):  # across, row p: V[6p + q] = sum_j D[6p + j] BT[q, j]
                _bt_1d(V, 6 * p * C + c, C, t0, D, 6 * p, 1, _U(0), L, False)


@njit(cache=True, nogil=True)
def _output_kernel(M, bias, block, tw, out, E, Y):
    """out[n, f, 4ty + p, 4tx + q] = (A^T m A)[p, q] + bias[f] for block's tiles, inside out: (N, F, Ho, Wo).

    M: (36 * F, T); E: (24, tw * nb), Y: (16, tw * nb) scratch."""
    n0, n1, ty0, ty1 = block
    F, Ho, Wo = out.shape[1], out.shape[2], out.shape[3]
    nb = n1 - n0
    L = tw * nb
    for f in range(F):
        b = bias[f]
        for ty in range(ty1 - ty0):
            t0 = _U(ty * L)
            for j in range(6):  # down, column j: E[6p + j] = sum_i AT[p, i] m[i, j]
                _at_1d(E, j, 6, _U(0), M, j * F + f, 6 * F, t0, L, False)
            for p in range(4):  # across, row p: Y[4p + q] = sum_j E[6p + j] AT[q, j]
                _at_1d(Y, 4 * p, 1, _U(0), E, 6 * p, 1, _U(0), L, False)
            for k in range(nb):
                for p in range(min(4, Ho - 4 * (ty0 + ty))):
                    h = 4 * (ty0 + ty) + p
                    for w in range(Wo):
                        out[n0 + k, f, h, w] = Y[4 * p + w % 4, (w // 4) * nb + k] + b


@njit(cache=True, nogil=True)
def _output_adjoint_kernel(dout, block, tw, dY, X, E):
    """dY: (36 * F, T) rows k * F + f <- A g A^T for block's 4x4 tiles g of dout: (N, F, Ho, Wo)
    (zeros past the border). X: (4 * rows, tw * nb),
    E: (24, tw * nb) scratch."""
    n0, n1, ty0, ty1 = block
    F, nb = dout.shape[1], n1 - n0
    L = tw * nb
    for f in range(F):
        _plane(dout, f, n0, nb, 4 * ty0, 0, X, False)
        for ty in range(ty1 - ty0):
            t0 = _U(ty * L)
            for q in range(4):  # down, column q: E[4i + q] = sum_p A[i, p] g[p, q]
                _a_1d(E, q, 4, _U(0), X, 16 * ty + q, 4, _U(0), L, False)
            for i in range(6):  # across, row i: dY[6i + j] = sum_q E[4i + q] A[j, q]
                _a_1d(dY, 6 * i * F + f, F, t0, E, 4 * i, 1, _U(0), L, False)


@njit(cache=True, nogil=True)
def _input_adjoint_kernel(dV, pad, block, tw, dx, X, E, Z):
    """dx: (N, C, H, W) += B v B^T for block's tiles v of dV: (36 * C, T), overlaps summed, padding
    dropped. X: (4 * rows, (tw + 1) * nb), E: (36, tw * nb), Z: (6, tw * nb) scratch."""
    n0, n1, ty0, ty1 = block
    C, nb = dx.shape[1], n1 - n0
    L = tw * nb
    for c in range(C):
        X[:] = 0
        for ty in range(ty1 - ty0):
            t0 = _U(ty * L)
            for q in range(6):  # down, column q: E[6i + q] = sum_p B[i, p] v[p, q]
                _b_1d(E, q, 6, _U(0), dV, q * C + c, 6 * C, t0, L, False)
            for i in range(6):  # across, row i: Z[j] = sum_q E[6i + q] B[j, q], then added into the
                # tiles' places in X (columns j = 4, 5 overlap the next tile's 0, 1)
                _b_1d(Z, 0, 1, _U(0), E, 6 * i, 1, _U(0), L, False)
                for j in range(6):
                    row, off = 4 * (4 * ty + i) + j % 4, _U(j // 4 * nb)
                    for t in range(_U(L)):
                        X[row, off + t] += Z[j, t]
        _plane(dx, c, n0, nb, 4 * ty0 - pad, pad, X, True)


def _scratch(rows, cols, dtype):
    """An uninitialised (rows, cols) scratch array for a kernel."""
    return np.empty((rows, cols), dtype=dtype)


#: The 2-D filter transform as one matrix: U[6p + q] = sum_{i, j} G[p, i] G[q, j] g[i, j] = (GG @ g.ravel())[6p + q].
GG = np.kron(G, G)


def filter_transform(w):
    """U: (36, F, C) = G g G^T for every filter g = w[f, c] of w: (F, C, 3, 3); w's dtype (one GEMM)."""
    F, C = w.shape[:2]
    return np.ascontiguousarray((GG.astype(w.dtype) @ w.reshape(F * C, 9).T).reshape(36, F, C))


def filter_adjoint(dU):
    """dw: (F, C, 3, 3) = G^T dU G for dU: (36, F, C), the adjoint of ``filter_transform``."""
    _, F, C = dU.shape
    return (dU.reshape(36, F * C).T @ GG.astype(dU.dtype)).reshape(F, C, 3, 3)


def input_transform(x, pad, block, V=None):
    """V: (36, C, T) = B^T d B for the 6x6 tiles d of block (n0, n1, ty0, ty1) of x: (N, C, H, W)
    zero-padded by pad, in the block's tile order (module docstring). x must be C-contiguous.

    V: a C-contiguous array of that shape and x's dtype to write into (else a new one)."""
    N, C, H, W = x.shape
    tw = tile_grid(H, W, pad)[3]
    nb = block[1] - block[0]
    V = np.empty((36, C, block_tiles(block, tw)), dtype=x.dtype) if V is None else V
    X = _scratch(4 * (4 * (block[3] - block[2]) + 2), (tw + 1) * nb, x.dtype)
    _input_kernel(x, pad, block, tw, V.reshape(36 * C, -1), X, _scratch(36, tw * nb, x.dtype))
    return V


def output_transform(M, b, out, block):
    """Write block (n0, n1, ty0, ty1) of out: (N, F, Ho, Wo) (C-contiguous, M's dtype):
    A^T m A per tile of M: (36, F, T) plus b: (F,); outputs past Ho or Wo are dropped."""
    F, Wo = out.shape[1], out.shape[3]
    tw, nb = tile_count(Wo), block[1] - block[0]
    E, Y = _scratch(24, tw * nb, M.dtype), _scratch(16, tw * nb, M.dtype)
    _output_kernel(M.reshape(36 * F, -1), b, block, tw, out, E, Y)
    return out


def output_adjoint(dout, block, dY=None):
    """dY: (36, F, T) = A g A^T for the 4x4 tiles g of block (n0, n1, ty0, ty1) of
    dout: (N, F, Ho, Wo) (C-contiguous; a ragged tile reads zeros), in the block's tile order.

    dY: a C-contiguous array of that shape and dout's dtype to write into (else a new one)."""
    F, Wo = dout.shape[1], dout.shape[3]
    tw, nb = tile_count(Wo), block[1] - block[0]
    dY = np.empty((36, F, block_tiles(block, tw)), dtype=dout.dtype) if dY is None else dY
    X = _scratch(16 * (block[3] - block[2]), tw * nb, dout.dtype)
    _output_adjoint_kernel(dout, block, tw, dY.reshape(36 * F, -1), X, _scratch(24, tw * nb, dout.dtype))
    return dY


def input_adjoint(dV, pad, block, dx):
    """dx: (N, C, H, W) (C-contiguous, dV's dtype) += B v B^T for the tiles v of dV: (36, C, T) of
    block (n0, n1, ty0, ty1), overlapping tiles summed, padding dropped. Returns dx."""
    C, H, W = dx.shape[1:]
    tw, nb = tile_grid(H, W, pad)[3], block[1] - block[0]
    X = _scratch(4 * (4 * (block[3] - block[2]) + 2), (tw + 1) * nb, dV.dtype)
    E, Z = _scratch(36, tw * nb, dV.dtype), _scratch(6, tw * nb, dV.dtype)
    _input_adjoint_kernel(dV.reshape(36 * C, -1), pad, block, tw, dx, X, E, Z)
    return dx


# ----------------------------------------------------------------------------- references


def _block_tiles_ref(a, block, th, tw, side, step):
    """(nb, C, ty1 - ty0, tw, side, side) view of block's side x side tiles of a: (N, C, h, w),
    taken every step pixels (a must hold step * (th - 1) + side rows and columns)."""
    n0, n1, ty0, ty1 = block
    win = np.lib.stride_tricks.sliding_window_view(a, (side, side), axis=(2, 3))
    return win[n0:n1, :, step * ty0 : step * ty1 : step, : step * tw : step]


def _to_kct(tiles):
    """(nb, C, bh, tw, 6, 6) -> (36, C, T) in the block's tile order."""
    nb, C, bh, tw = tiles.shape[:4]
    return np.ascontiguousarray(tiles.transpose(4, 5, 1, 2, 3, 0).reshape(36, C, bh * tw * nb))


def _from_kct(a, nb, bh, tw):
    """(36, C, T) -> (nb, C, bh, tw, 6, 6), the inverse of ``_to_kct``."""
    return a.reshape(6, 6, a.shape[1], bh, tw, nb).transpose(5, 2, 3, 4, 0, 1)


def _padded(a, top_left, th, tw, side):
    """a: (N, C, h, w) zero-padded to (N, C, 4 th + side - 4, 4 tw + side - 4), top_left rows and
    columns before (the rows/columns a full grid of th x tw tiles of the given side reads)."""
    N, C, h, w = a.shape
    ap = np.zeros((N, C, 4 * th + side - 4, 4 * tw + side - 4), dtype=a.dtype)
    ap[:, :, top_left : top_left + h, top_left : top_left + w] = a[:, :, : ap.shape[2] - top_left, : ap.shape[3] - top_left]
    return ap


def input_transform_ref(x, pad, block):
    """NumPy reference of ``input_transform``."""
    _, _, th, tw = tile_grid(x.shape[2], x.shape[3], pad)
    bt = BT.astype(x.dtype)
    return _to_kct(bt @ _block_tiles_ref(_padded(x, pad, th, tw, 6), block, th, tw, 6, 4) @ bt.T)


def output_transform_ref(M, b, out_shape, block):
    """NumPy reference of ``output_transform``: a new out_shape array, zero outside the block."""
    N, F, Ho, Wo = out_shape
    n0, n1, ty0, ty1 = block
    tw = tile_count(Wo)
    at = AT.astype(M.dtype)
    y = at @ _from_kct(M, n1 - n0, ty1 - ty0, tw) @ at.T  # (nb, F, bh, tw, 4, 4)
    y = y.transpose(0, 1, 2, 4, 3, 5).reshape(n1 - n0, F, 4 * (ty1 - ty0), 4 * tw)
    out = np.zeros(out_shape, dtype=M.dtype)
    h1 = min(Ho, 4 * ty1)
    out[n0:n1, :, 4 * ty0 : h1] = y[:, :, : h1 - 4 * ty0, :Wo] + b.astype(M.dtype)[None, :, None, None]
    return out


def output_adjoint_ref(dout, block):
    """NumPy reference of ``output_adjoint``."""
    th, tw = tile_count(dout.shape[2]), tile_count(dout.shape[3])
    at = AT.astype(dout.dtype)
    return _to_kct(at.T @ _block_tiles_ref(_padded(dout, 0, th, tw, 4), block, th, tw, 4, 4) @ at)


def input_adjoint_ref(dV, x_shape, pad, block):
    """NumPy reference of ``input_adjoint`` (starting from dx = 0)."""
    N, C, H, W = x_shape
    n0, n1, ty0, ty1 = block
    _, _, th, tw = tile_grid(H, W, pad)
    bt = BT.astype(dV.dtype)
    d = bt.T @ _from_kct(dV, n1 - n0, ty1 - ty0, tw) @ bt  # (nb, C, bh, tw, 6, 6)
    dxp = np.zeros((N, C, 4 * th + 2, 4 * tw + 2), dtype=dV.dtype)
    for r in range(6):
        for s in range(6):
            dxp[n0:n1, :, 4 * ty0 + r : 4 * ty1 + r : 4, s : s + 4 * tw : 4] += d[..., r, s]
    return dxp[:, :, pad : pad + H, pad : pad + W]
