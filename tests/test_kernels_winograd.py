"""Winograd F(2x2, 3x3) transforms agree with their NumPy references and compose to a convolution."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dl4cv.kernels import winograd as wg
from dl4cv.kernels.naive_conv import conv_backward_naive, conv_forward_naive

# (x shape, pad): even and odd (ragged tile) outputs, pads 0..3
CASES = [((2, 3, 6, 6), 1), ((1, 2, 7, 5), 1), ((2, 2, 6, 7), 0), ((1, 2, 5, 4), 2), ((1, 1, 3, 3), 3)]


def _tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, pad", CASES)
def test_transforms_match_references(shape, pad, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    N, C, H, W = shape
    Ho, Wo, th, tw = wg.tile_grid(H, W, pad)
    V = wg.input_transform(x, pad)
    assert V.dtype == dtype and V.shape == (16, C, N * th * tw)
    np.testing.assert_allclose(V, wg.input_transform_ref(x, pad), **_tol(dtype))
    M = rng.standard_normal((16, 3, N * th * tw)).astype(dtype)
    b = rng.standard_normal(3)
    out = wg.output_transform(M, b, (N, 3, Ho, Wo))
    assert out.dtype == dtype
    np.testing.assert_allclose(out, wg.output_transform_ref(M, b, (N, 3, Ho, Wo)), **_tol(dtype))
    dout = rng.standard_normal((N, 3, Ho, Wo)).astype(dtype)
    for got, want in zip(wg.output_adjoint(dout), wg.output_adjoint_ref(dout)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **_tol(dtype))
    np.testing.assert_allclose(wg.input_adjoint(V, shape, pad), wg.input_adjoint_ref(V, shape, pad), **_tol(dtype))


def test_adjoint_pairs():
    rng = np.random.default_rng(1)
    shape, pad = (1, 2, 5, 7), 1
    x = rng.standard_normal(shape)
    V = rng.standard_normal(wg.input_transform(x, pad).shape)
    assert np.vdot(wg.input_transform(x, pad), V) == pytest.approx(np.vdot(x, wg.input_adjoint(V, shape, pad)))
    w = rng.standard_normal((3, 2, 3, 3))
    dU = rng.standard_normal((16, 3, 2))
    assert np.vdot(wg.filter_transform(w), dU) == pytest.approx(np.vdot(w, wg.filter_adjoint(dU)))
    M = rng.standard_normal(V.shape[:1] + (3,) + V.shape[2:])
    dout = rng.standard_normal((1, 3, 5, 7))
    zero = np.zeros(3)
    lhs = np.vdot(wg.output_transform(M, zero, dout.shape), dout)
    assert lhs == pytest.approx(np.vdot(M, wg.output_adjoint(dout)[0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, pad", CASES)
def test_composed_transforms_are_a_convolution(shape, pad, dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((4, shape[1], 3, 3)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    U, V = wg.filter_transform(w), wg.input_transform(x, pad)
    Ho, Wo, _, _ = wg.tile_grid(*shape[2:], pad)
    out = wg.output_transform(np.matmul(U, V), b, (shape[0], 4, Ho, Wo))
    np.testing.assert_allclose(out, conv_forward_naive(x, w, b, 1, pad), **_tol(dtype))
    dout = rng.standard_normal(out.shape).astype(dtype)
    dY, db = wg.output_adjoint(dout)
    dw = wg.filter_adjoint(np.matmul(dY, V.transpose(0, 2, 1)))
    dx = wg.input_adjoint(np.matmul(U.transpose(0, 2, 1), dY), shape, pad)
    dx_ref, dw_ref, _ = conv_backward_naive(dout, x, w, 1, pad)
    np.testing.assert_allclose(dx, dx_ref, **_tol(dtype))
    np.testing.assert_allclose(dw, dw_ref, **_tol(dtype))
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), **_tol(dtype))


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 3),
    C=st.integers(1, 3),
    H=st.integers(1, 9),
    W=st.integers(1, 9),
    pad=st.integers(0, 3),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_transforms_match_references_on_random_shapes(N, C, H, W, pad, dtype):
    assume(H + 2 * pad >= 3 and W + 2 * pad >= 3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    Ho, Wo, th, tw = wg.tile_grid(H, W, pad)
    V = wg.input_transform(x, pad)
    np.testing.assert_allclose(V, wg.input_transform_ref(x, pad), **_tol(dtype))
    np.testing.assert_allclose(wg.input_adjoint(V, x.shape, pad), wg.input_adjoint_ref(V, x.shape, pad), **_tol(dtype))
    M = rng.standard_normal((16, 2, V.shape[2])).astype(dtype)
    b = rng.standard_normal(2)
    out = wg.output_transform(M, b, (N, 2, Ho, Wo))
    np.testing.assert_allclose(out, wg.output_transform_ref(M, b, (N, 2, Ho, Wo)), **_tol(dtype))
    for got, want in zip(wg.output_adjoint(out), wg.output_adjoint_ref(out)):
        np.testing.assert_allclose(got, want, **_tol(dtype))
