"""Pooling kernels agree with their NumPy references, including ties and overlapping windows."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dl4cv.kernels import pooling as P

# (x shape, pool height, pool width, stride): tiling, overlapping, gapped, not tiling the input
WINDOWS = [
    ((2, 3, 8, 8), 2, 2, 2),
    ((2, 2, 7, 6), 3, 3, 1),
    ((1, 2, 7, 9), 2, 3, 3),
    ((2, 1, 5, 5), 3, 2, 2),
    ((1, 1, 4, 4), 4, 4, 1),
    ((2, 2, 7, 5), 2, 2, 2),  # 2x2/2 kernel with an uncovered last row and column
]


def _data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ph, pw, stride", WINDOWS)
def test_max_pool_matches_reference(shape, ph, pw, stride, dtype):
    x = _data(shape, dtype)
    out, argmax = P.max_pool_forward(x, ph, pw, stride)
    out_ref, argmax_ref = P.max_pool_forward_ref(x, ph, pw, stride)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, out_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    dout = _data(out.shape, dtype, seed=1)
    dx = P.max_pool_backward(dout, argmax, shape, pool_2x2=(ph, pw, stride) == (2, 2, 2))
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx, P.max_pool_backward_ref(dout, argmax, shape), rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 2),
    C=st.integers(1, 3),
    H=st.integers(2, 9),
    W=st.integers(2, 9),
    levels=st.integers(1, 4),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_max_pool_2x2_kernels_match_reference(N, C, H, W, levels, dtype):
    # few distinct values: many ties
    x = np.random.default_rng(H * 10 + W).integers(0, levels, (N, C, H, W)).astype(dtype)
    out, argmax = P.max_pool_forward(x, 2, 2, 2)
    out_ref, argmax_ref = P.max_pool_forward_ref(x, 2, 2, 2)
    np.testing.assert_array_equal(out, out_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    dout = _data(out.shape, dtype, seed=2)
    dx = P.max_pool_backward(dout, argmax, x.shape, pool_2x2=True)
    np.testing.assert_array_equal(dx, P.max_pool_backward_ref(dout, argmax, x.shape))


@pytest.mark.parametrize("shape, ph, pw, stride", [w for w in WINDOWS if w[1:] != (2, 2, 2)])
def test_general_max_pool_kernel_breaks_ties_like_the_reference(shape, ph, pw, stride):
    # two levels only: almost every window holds several maxima, so a kernel that kept the
    # last maximum instead of the first (row-major) records other positions
    x = np.random.default_rng(sum(shape)).integers(0, 2, shape).astype(np.float64)
    _, argmax = P.max_pool_forward(x, ph, pw, stride)
    np.testing.assert_array_equal(argmax, P.max_pool_forward_ref(x, ph, pw, stride)[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ph, pw, stride", WINDOWS)
def test_avg_pool_matches_reference(shape, ph, pw, stride, dtype):
    x = _data(shape, dtype)
    out = P.avg_pool_forward(x, ph, pw, stride)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, P.avg_pool_forward_ref(x, ph, pw, stride), rtol=1e-5, atol=1e-6)
    dout = _data(out.shape, dtype, seed=1)
    dx = P.avg_pool_backward(dout, shape, ph, pw, stride)
    np.testing.assert_allclose(dx, P.avg_pool_backward_ref(dout, shape, ph, pw, stride), rtol=1e-5, atol=1e-6)


def test_max_pool_ties_pick_the_first_maximum_in_row_major_order():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 1, 0] = 5.0  # window (0, 0): two maxima, (1, 0) comes first
    out, argmax = P.max_pool_forward(x, 2, 2, 2)
    np.testing.assert_array_equal(argmax[0, 0], [[4, 2], [8, 10]])
    for pool_2x2 in (False, True):
        dx = P.max_pool_backward(np.ones_like(out), argmax, x.shape, pool_2x2)
        assert dx.sum() == 4 and dx[0, 0, 1, 0] == 1 and dx[0, 0, 1, 1] == 0


def test_overlapping_max_windows_add_their_gradients():
    x = np.arange(9.0).reshape(1, 1, 3, 3)  # the bottom-right corner wins all 4 windows
    out, argmax = P.max_pool_forward(x, 2, 2, 1)
    dx = P.max_pool_backward(np.ones_like(out), argmax, x.shape)
    np.testing.assert_array_equal(out[0, 0], [[4, 5], [7, 8]])
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 1, 1], [0, 1, 1]])
