"""Direct stride-1 convolution kernels agree with their NumPy references."""
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dl4cv.kernels.direct_conv import (
    conv_stride1,
    conv_stride1_ref,
    conv_stride1_weight_grad,
    conv_stride1_weight_grad_ref,
)


def _tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-11)


@settings(max_examples=30, deadline=None)
@given(
    N=st.integers(1, 3),
    C=st.integers(1, 4),
    F=st.integers(1, 5),  # odd F: the forward kernel's unpaired last filter
    H=st.integers(1, 9),
    W=st.integers(1, 9),
    HH=st.integers(1, 4),
    WW=st.sampled_from([1, 2, 3, 5, 7]),  # compiled once per filter width
    pad_h=st.integers(0, 3),
    pad_w=st.integers(0, 3),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_conv_and_weight_grad_match_references(N, C, F, H, W, HH, WW, pad_h, pad_w, dtype):
    assume(HH <= H + 2 * pad_h and WW <= W + 2 * pad_w)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C, HH, WW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    out = conv_stride1(x, w, b, pad_h, pad_w)
    assert out.dtype == dtype and out.flags.c_contiguous
    assert out.shape == (N, F, H + 2 * pad_h - HH + 1, W + 2 * pad_w - WW + 1)
    np.testing.assert_allclose(out, conv_stride1_ref(x, w, b, pad_h, pad_w), **_tol(dtype))
    dout = rng.standard_normal(out.shape).astype(dtype)
    grads = conv_stride1_weight_grad(x, dout, pad_h, pad_w, HH, WW)
    for got, want in zip(grads, conv_stride1_weight_grad_ref(x, dout, pad_h, pad_w, HH, WW)):
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **_tol(dtype))


def test_non_contiguous_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6, 2, 5)).transpose(0, 2, 3, 1)  # (3, 2, 5, 6)
    w = rng.standard_normal((4, 2, 3, 2)).transpose(0, 1, 3, 2)  # (4, 2, 2, 3)
    b = rng.standard_normal(4)
    np.testing.assert_allclose(conv_stride1(x, w, b, 1, 2), conv_stride1_ref(x, w, b, 1, 2), rtol=1e-12)
    dout = rng.standard_normal((3, 4, 6, 8))[:, :, ::-1]
    grads = conv_stride1_weight_grad(x, dout, 1, 2, 2, 3)
    for got, want in zip(grads, conv_stride1_weight_grad_ref(x, dout, 1, 2, 2, 3)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
