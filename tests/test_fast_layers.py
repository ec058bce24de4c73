"""Fast layers agree with plain-loop references, keep dtypes, and reject bad parameters clearly."""
import numpy as np
import pytest

from dl4cv import fast_layers as fl
from dl4cv.conv_layer_utils import (
    conv_relu_backward,
    conv_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)
from dl4cv.kernels.naive_conv import conv_backward_naive, conv_forward_naive
from dl4cv.kernels.pooling import max_pool_forward_ref

# (x shape, w shape, stride, pad): the benchmark's three cases, shrunk, plus odd geometries
CONV_CASES = [
    ((3, 3, 7, 7), (4, 3, 3, 3), 2, 1),  # like case A
    ((2, 3, 6, 6), (4, 3, 7, 7), 1, 3),  # like case B
    ((2, 5, 6, 6), (4, 5, 3, 3), 1, 1),  # like case C (Winograd)
    ((2, 2, 5, 8), (3, 2, 3, 3), 1, 0),  # Winograd, ragged tiles
    ((1, 2, 9, 7), (2, 2, 3, 3), 1, 2),  # Winograd, pad 2
    ((2, 2, 9, 9), (3, 2, 5, 3), 2, 2),  # non-square filter
    ((2, 3, 6, 5), (3, 3, 2, 4), 1, 1),  # non-square filter, stride 1 (direct)
    ((1, 3, 7, 7), (2, 3, 2, 2), 3, 2),  # stride larger than the filter
    ((2, 2, 4, 4), (3, 2, 1, 1), 1, 0),  # 1x1
]
FORWARDS = [fl.conv_forward_fast, fl.conv_forward_im2col]


def _tol(dtype):
    return dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def _conv_data(x_shape, w_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal(x_shape).astype(dtype),
        rng.standard_normal(w_shape).astype(dtype),
        rng.standard_normal(w_shape[0]).astype(dtype),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("forward", FORWARDS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_conv_matches_naive_loops(x_shape, w_shape, stride, pad, forward, dtype):
    x, w, b = _conv_data(x_shape, w_shape, dtype)
    conv_param = {"stride": stride, "pad": pad}
    out, cache = forward(x, w, b, conv_param)
    assert out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_allclose(out, conv_forward_naive(x, w, b, stride, pad), **_tol(dtype))
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    grads = fl.conv_backward_fast(dout, cache)
    for got, want in zip(grads, conv_backward_naive(dout, x, w, stride, pad)):
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **_tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", [c for c in CONV_CASES if c[2] == 1 and c[3] < min(c[1][2:])])
def test_direct_conv_matches_naive_loops(x_shape, w_shape, stride, pad, dtype):
    test_conv_matches_naive_loops(x_shape, w_shape, stride, pad, fl.conv_forward_direct, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_conv_in_blocks_of_images(monkeypatch, dtype):
    x, w, b = _conv_data((5, 3, 6, 6), (4, 3, 3, 3), dtype)
    # blocks of 2 images (the last one shorter), as for a large batch
    monkeypatch.setattr(fl, "_BLOCK_BYTES", 2 * 27 * 36 * np.dtype(dtype).itemsize)
    out, cache = fl.conv_forward_im2col(x, w, b, {"stride": 1, "pad": 1})
    np.testing.assert_allclose(out, conv_forward_naive(x, w, b, 1, 1), **_tol(dtype))
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    for got, want in zip(fl.conv_backward_fast(dout, cache), conv_backward_naive(dout, x, w, 1, 1)):
        np.testing.assert_allclose(got, want, **_tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, rows_per_block", [((5, 3, 9, 6), 1), ((130, 1, 4, 5), None)])
def test_winograd_conv_in_blocks(monkeypatch, dtype, x_shape, rows_per_block):
    x, w, b = _conv_data(x_shape, (4, x_shape[1], 3, 3), dtype)
    if rows_per_block:  # 3 tile rows (one ragged) of 2 tile columns: one tile row per block
        monkeypatch.setattr(fl._wino, "BLOCK_BYTES", 36 * 4 * 2 * x_shape[0] * np.dtype(dtype).itemsize)
    out, cache = fl.conv_forward_winograd(x, w, b, {"stride": 1, "pad": 1})
    np.testing.assert_allclose(out, conv_forward_naive(x, w, b, 1, 1), **_tol(dtype))
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    for got, want in zip(fl.conv_backward_fast(dout, cache), conv_backward_naive(dout, x, w, 1, 1)):
        np.testing.assert_allclose(got, want, **_tol(dtype))


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("N, th, tw, channels", [(1, 1, 1, 1), (64, 4, 4, 64), (130, 8, 8, 256), (200, 2, 3, 3)])
def test_winograd_parts_cover_every_tile_once(workers, N, th, tw, channels):
    parts = fl._wino.parts(N, th, tw, channels, 4, workers)
    assert len(parts) == min(workers, N)
    seen = np.zeros((N, th), dtype=int)
    for blocks in parts:
        for n0, n1, ty0, ty1 in blocks:
            assert 0 < n1 - n0 <= 64 and ty1 > ty0
            seen[n0:n1, ty0:ty1] += 1
    assert (seen == 1).all()


def test_fast_conv_picks_winograd_for_3x3_stride_1_and_5_or_more_channels():
    x, w, b = _conv_data((1, 5, 6, 6), (2, 5, 3, 3), np.float64)
    assert fl.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})[1].__class__ is fl.WinogradCache
    assert fl.conv_forward_fast(x, w, b, {"stride": 3, "pad": 0})[1].__class__ is fl.Im2colCache
    assert fl.conv_forward_fast(x[:, :4], w[:, :4], b, {"stride": 1, "pad": 1})[1].__class__ is fl.DirectCache
    with pytest.raises(ValueError, match="3x3 filters and stride 1"):
        fl.conv_forward_winograd(x, w, b, {"stride": 3, "pad": 0})


def test_fast_conv_picks_direct_for_few_channels_stride_1_only():
    x, w, b = _conv_data((1, 4, 7, 7), (2, 4, 5, 5), np.float64)
    assert fl.conv_forward_fast(x, w, b, {"stride": 1, "pad": 2})[1].__class__ is fl.DirectCache
    assert fl.conv_forward_fast(x, w, b, {"stride": 2, "pad": 2})[1].__class__ is fl.Im2colCache
    assert fl.conv_forward_fast(x, w, b, {"stride": 1, "pad": 5})[1].__class__ is fl.Im2colCache  # pad >= filter
    x5, w5, _ = _conv_data((1, 5, 7, 7), (2, 5, 5, 5), np.float64)
    assert fl.conv_forward_fast(x5, w5, b, {"stride": 1, "pad": 2})[1].__class__ is fl.Im2colCache  # 5 channels
    x, w9, _ = _conv_data((1, 4, 7, 7), (2, 4, 3, 9), np.float64)
    assert fl.conv_forward_fast(x, w9, b, {"stride": 1, "pad": 2})[1].__class__ is fl.Im2colCache  # 9 wide
    with pytest.raises(ValueError, match="stride 1 and pad < filter size"):
        fl.conv_forward_direct(x, w, b, {"stride": 1, "pad": 5})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", [((2, 3, 4, 5), (3, 2, 4, 4), 2, 1), ((1, 2, 3, 3), (2, 3, 3, 2), 1, 0)])
def test_conv_transpose_is_the_adjoint_of_conv(x_shape, w_shape, stride, pad, dtype):
    # conv_transpose(x; w) is the input gradient of a convolution with weights w, fed dout = x
    x, w, _ = _conv_data(x_shape, w_shape, dtype)
    b = np.arange(w_shape[1], dtype=dtype)
    conv_param = {"stride": stride, "pad": pad}
    out, cache = fl.conv_transpose_forward_fast(x, w, b, conv_param)
    N, _, H, W = x_shape
    _, C_out, HH, WW = w_shape
    assert out.shape == (N, C_out, (H - 1) * stride - 2 * pad + HH, (W - 1) * stride - 2 * pad + WW)
    assert out.dtype == dtype
    want = conv_backward_naive(x, np.zeros(out.shape, dtype), w, stride, pad)[0] + b[None, :, None, None]
    np.testing.assert_allclose(out, want, **_tol(dtype))
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    dx, dw, db = fl.conv_transpose_backward_fast(dout, cache)
    np.testing.assert_allclose(dx, conv_forward_naive(dout, w, np.zeros(x_shape[1], dtype), stride, pad), **_tol(dtype))
    np.testing.assert_allclose(dw, conv_backward_naive(x, dout, w, stride, pad)[1], **_tol(dtype))
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), **_tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ph, pw, stride", [(2, 2, 2), (3, 3, 2), (2, 3, 1), (2, 2, 3)])
def test_pool_layers(ph, pw, stride, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8)).astype(dtype)
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = fl.max_pool_forward_fast(x, pool_param)
    np.testing.assert_array_equal(out, max_pool_forward_ref(x, ph, pw, stride)[0])
    dx = fl.max_pool_backward_fast(np.ones_like(out), cache)
    assert dx.dtype == dtype and dx.shape == x.shape and dx.sum() == out.size
    avg, cache = fl.avg_pool_forward_fast(x, pool_param)
    assert avg.dtype == dtype and avg.shape == out.shape
    np.testing.assert_allclose(avg[0, 0, 0, 0], x[0, 0, :ph, :pw].mean(), rtol=1e-6)
    dx = fl.avg_pool_backward_fast(np.ones_like(avg), cache)
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx.sum(), avg.size, rtol=1e-6)


def test_max_pool_gradient_goes_to_one_maximum_on_ties():
    x = np.ones((1, 1, 4, 4))
    out, cache = fl.max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dx = fl.max_pool_backward_fast(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])


def test_sandwich_layers_match_their_parts():
    x, w, b = _conv_data((2, 3, 8, 8), (4, 3, 3, 3), np.float64)
    conv_param = {"stride": 1, "pad": 1}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    conv = conv_forward_naive(x, w, b, 1, 1)
    out, cache = conv_relu_forward(x, w, b, conv_param)
    np.testing.assert_allclose(out, np.maximum(conv, 0), atol=1e-12)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx, dw, db = conv_relu_backward(dout, cache)
    want = conv_backward_naive(dout * (conv > 0), x, w, 1, 1)
    for got, ref in zip((dx, dw, db), want):
        np.testing.assert_allclose(got, ref, atol=1e-10)
    out, cache = conv_relu_pool_forward(x, w, b, conv_param, pool_param)
    np.testing.assert_allclose(out, max_pool_forward_ref(np.maximum(conv, 0), 2, 2, 2)[0], atol=1e-12)
    dx, dw, db = conv_relu_pool_backward(np.ones_like(out), cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert db.sum() == pytest.approx(np.count_nonzero(out > 0))


BAD_CONVS = [
    ((2, 3, 5, 5), (4, 2, 3, 3), {"stride": 1, "pad": 1}, r"3 channels .* expects 2"),
    ((2, 3, 4, 4), (4, 3, 7, 7), {"stride": 1, "pad": 1}, r"7x7 .* larger than the padded input 6x6"),
    ((2, 3, 6, 6), (4, 3, 3, 3), {"stride": 2, "pad": 0}, r"stride 2 does not fit.* = 3"),
    ((2, 3, 6, 6), (4, 3, 3, 3), {"stride": 0, "pad": 1}, r"'stride'\] must be an integer >= 1"),
    ((2, 3, 6, 6), (4, 3, 3, 3), {"stride": 1, "pad": -1}, r"'pad'\] must be an integer >= 0"),
    ((2, 3, 6, 6), (4, 3, 3, 3), {"stride": 1.5, "pad": 1}, r"'stride'\] must be an integer"),
    ((2, 3, 6, 6), (4, 3, 3, 3), {"pad": 1}, r"needs the key 'stride'"),
    ((3, 6, 6), (4, 3, 3, 3), {"stride": 1, "pad": 1}, r"x must have 4 dimensions .* \(3, 6, 6\)"),
    ((2, 3, 6, 6), (4, 3, 3), {"stride": 1, "pad": 1}, r"w must have 4 dimensions"),
]


@pytest.mark.parametrize("x_shape, w_shape, conv_param, message", BAD_CONVS)
def test_bad_conv_parameters_raise_value_errors_naming_shapes(x_shape, w_shape, conv_param, message):
    for forward in (fl.conv_forward_fast, fl.conv_forward_im2col):
        with pytest.raises(ValueError, match=message):
            forward(np.zeros(x_shape), np.zeros(w_shape), np.zeros(w_shape[0]), conv_param)


def test_bad_bias_dout_and_transposed_shapes_raise():
    x, w, b = _conv_data((1, 2, 5, 5), (3, 2, 3, 3), np.float64)
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        fl.conv_forward_fast(x, w, b[:2], {"stride": 1, "pad": 1})
    out, cache = fl.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"dout has shape \(1, 3, 4, 5\) .* \(1, 3, 5, 5\)"):
        fl.conv_backward_fast(out[:, :, :4], cache)
    with pytest.raises(ValueError, match="empty output"):
        fl.conv_transpose_forward_fast(np.zeros((1, 3, 1, 1)), np.zeros((3, 2, 2, 2)), np.zeros(2), {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match="C_in, C_out"):
        fl.conv_transpose_forward_fast(np.zeros((1, 2, 3, 3)), np.zeros((3, 2, 2, 2)), np.zeros(2), {"stride": 1, "pad": 0})


@pytest.mark.parametrize(
    "pool_param, message",
    [
        ({"pool_height": 5, "pool_width": 2, "stride": 2}, r"pool 5x2 is larger than the input 4x4"),
        ({"pool_height": 2, "pool_width": 2, "stride": 0}, r"'stride'\] must be an integer >= 1"),
        ({"pool_height": 2, "stride": 2}, r"needs the key 'pool_width'"),
    ],
)
def test_bad_pool_parameters_raise(pool_param, message):
    for forward in (fl.max_pool_forward_fast, fl.avg_pool_forward_fast):
        with pytest.raises(ValueError, match=message):
            forward(np.zeros((1, 1, 4, 4)), pool_param)
