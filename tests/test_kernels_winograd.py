"""Winograd F(4x4, 3x3) transforms agree with their NumPy references and compose to a convolution."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dl4cv.kernels import winograd as wg
from dl4cv.kernels.naive_conv import conv_backward_naive, conv_forward_naive

# (x shape, pad): outputs that are and are not multiples of 4 (ragged tiles), pads 0..3
CASES = [((2, 3, 6, 6), 1), ((3, 2, 7, 5), 1), ((2, 2, 9, 11), 0), ((1, 2, 5, 4), 2), ((1, 1, 3, 3), 3), ((9, 2, 10, 10), 1)]


def _tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-11)


def _blocks(N, th):
    """The whole grid, and a partition into two image ranges by two tile-row ranges (if possible)."""
    n_mid, t_mid = max(1, N // 2), max(1, th // 2)
    parts = [(n0, n1, t0, t1) for n0, n1 in ((0, n_mid), (n_mid, N)) for t0, t1 in ((0, t_mid), (t_mid, th))]
    return [(0, N, 0, th)], [p for p in parts if p[0] < p[1] and p[2] < p[3]]


def _check_block(x, pad, block, rng):
    """Every kernel transform of block agrees with its reference, in x's dtype."""
    dtype, (N, C, H, W) = x.dtype, x.shape
    Ho, Wo, _, tw = wg.tile_grid(H, W, pad)
    V = wg.input_transform(x, pad, block)
    assert V.dtype == dtype and V.shape == (36, C, wg.block_tiles(block, tw))
    np.testing.assert_allclose(V, wg.input_transform_ref(x, pad, block), **_tol(dtype))
    M = rng.standard_normal((36, 3, V.shape[2])).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    want = wg.output_transform_ref(M, b, (N, 3, Ho, Wo), block)
    np.testing.assert_allclose(wg.output_transform(M, b, np.zeros_like(want), block), want, **_tol(dtype))
    dout = rng.standard_normal((N, 3, Ho, Wo)).astype(dtype)
    dY = wg.output_adjoint(dout, block)
    assert dY.dtype == dtype
    np.testing.assert_allclose(dY, wg.output_adjoint_ref(dout, block), **_tol(dtype))
    dx = wg.input_adjoint(V, pad, block, np.zeros(x.shape, dtype=dtype))
    np.testing.assert_allclose(dx, wg.input_adjoint_ref(V, x.shape, pad, block), rtol=_tol(dtype)["rtol"], atol=_tol(dtype)["atol"] * np.abs(V).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, pad", CASES)
def test_transforms_match_references(shape, pad, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    whole, parts = _blocks(shape[0], wg.tile_grid(*shape[2:], pad)[2])
    for block in whole + parts:
        _check_block(x, pad, block, rng)


def test_adjoint_pairs():
    rng = np.random.default_rng(1)
    shape, pad = (2, 2, 5, 7), 1
    x = rng.standard_normal(shape)
    Ho, Wo, th, _ = wg.tile_grid(5, 7, pad)
    block = (1, 2, 0, th)
    V = rng.standard_normal(wg.input_transform(x, pad, block).shape)
    assert np.vdot(wg.input_transform(x, pad, block), V) == pytest.approx(np.vdot(x, wg.input_adjoint(V, pad, block, np.zeros(shape))))
    w = rng.standard_normal((3, 2, 3, 3))
    dU = rng.standard_normal((36, 3, 2))
    assert np.vdot(wg.filter_transform(w), dU) == pytest.approx(np.vdot(w, wg.filter_adjoint(dU)))
    M = rng.standard_normal((36, 3, V.shape[2]))
    dout = rng.standard_normal((2, 3, Ho, Wo))
    out = wg.output_transform(M, np.zeros(3), np.zeros(dout.shape), block)
    assert np.vdot(out, dout) == pytest.approx(np.vdot(M, wg.output_adjoint(dout, block)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, pad", CASES)
def test_composed_transforms_are_a_convolution(shape, pad, dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((4, shape[1], 3, 3)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    Ho, Wo, th, _ = wg.tile_grid(*shape[2:], pad)
    U, blocks = wg.filter_transform(w), _blocks(shape[0], th)[1]
    out = np.full((shape[0], 4, Ho, Wo), np.nan, dtype=dtype)
    for block in blocks:  # together the blocks write every output
        wg.output_transform(np.matmul(U, wg.input_transform(x, pad, block)), b, out, block)
    np.testing.assert_allclose(out, conv_forward_naive(x, w, b, 1, pad), **_tol(dtype))
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx, dU = np.zeros(shape, dtype=dtype), np.zeros(U.shape, dtype=dtype)
    for block in blocks:
        dY, V = wg.output_adjoint(dout, block), wg.input_transform(x, pad, block)
        dU += np.matmul(dY, V.transpose(0, 2, 1))
        wg.input_adjoint(np.matmul(U.transpose(0, 2, 1), dY), pad, block, dx)
    dx_ref, dw_ref, _ = conv_backward_naive(dout, x, w, 1, pad)
    np.testing.assert_allclose(dx, dx_ref, **_tol(dtype))
    np.testing.assert_allclose(wg.filter_adjoint(dU), dw_ref, **_tol(dtype))


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 10),
    C=st.integers(1, 3),
    H=st.integers(1, 13),
    W=st.integers(1, 13),
    pad=st.integers(0, 3),
    dtype=st.sampled_from([np.float32, np.float64]),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
)
def test_transforms_match_references_on_random_shapes_and_blocks(N, C, H, W, pad, dtype, cut):
    assume(H + 2 * pad >= 3 and W + 2 * pad >= 3)
    th = wg.tile_grid(H, W, pad)[2]
    n0, n1 = sorted(int(f * N) for f in cut[:2])
    t0, t1 = sorted(int(f * th) for f in cut[2:])
    block = (min(n0, N - 1), max(n1, min(n0, N - 1) + 1), min(t0, th - 1), max(t1, min(t0, th - 1) + 1))
    rng = np.random.default_rng(3)
    _check_block(rng.standard_normal((N, C, H, W)).astype(dtype), pad, block, rng)
