"""im2col / col2im kernels agree with their NumPy references and are each other's adjoint."""
import numpy as np
import pytest

from dl4cv.kernels.im2col import col2im, col2im_images, col2im_ref, im2col, im2col_ref

# (x shape, HH, WW, stride, pad): square and not, overlapping and gapped windows, big pads
GEOMETRIES = [
    ((2, 3, 7, 7), 3, 3, 2, 1),
    ((2, 2, 5, 6), 3, 2, 1, 0),
    ((1, 2, 8, 9), 4, 4, 3, 2),
    ((3, 1, 4, 4), 1, 1, 1, 0),
    ((1, 2, 3, 3), 5, 5, 1, 3),
    ((2, 2, 6, 6), 2, 2, 4, 1),
    ((2, 2, 2, 2), 5, 5, 1, 2),  # the first and last filter rows and columns see only padding
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, HH, WW, stride, pad", GEOMETRIES)
def test_im2col_matches_reference(shape, HH, WW, stride, pad, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    cols = im2col(x, HH, WW, stride, pad)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, im2col_ref(x, HH, WW, stride, pad))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, HH, WW, stride, pad", GEOMETRIES)
def test_col2im_matches_reference_and_is_the_adjoint(shape, HH, WW, stride, pad, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    cols = rng.standard_normal(im2col_ref(x, HH, WW, stride, pad).shape)
    dx = col2im(cols.astype(dtype), shape, HH, WW, stride, pad)
    assert dx.dtype == dtype and dx.shape == shape
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(dx, col2im_ref(cols, shape, HH, WW, stride, pad), rtol=tol, atol=tol)
    # <im2col(x), cols> == <x, col2im(cols)>
    lhs = np.vdot(im2col(x, HH, WW, stride, pad), cols)
    rhs = np.vdot(x, col2im(cols, shape, HH, WW, stride, pad))
    assert lhs == pytest.approx(rhs, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, HH, WW, stride, pad", GEOMETRIES)
def test_col2im_images_by_blocks_matches_reference(shape, HH, WW, stride, pad, dtype):
    rng = np.random.default_rng(3)
    cols = rng.standard_normal(im2col_ref(np.zeros(shape), HH, WW, stride, pad).shape).astype(dtype)
    per_image = cols.shape[1] // shape[0]
    dx = np.full(shape, np.nan, dtype=dtype)  # every image must be overwritten
    for n0 in range(shape[0]):  # blocks of one image, then of the rest
        n1 = n0 + 1 if n0 == 0 else shape[0]
        col2im_images(np.ascontiguousarray(cols[:, n0 * per_image : n1 * per_image]), n0, n1, HH, WW, stride, pad, dx)
        if n1 == shape[0]:
            break
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(dx, col2im_ref(cols, shape, HH, WW, stride, pad), rtol=tol, atol=tol)


def test_im2col_of_non_contiguous_input():
    x = np.random.default_rng(2).standard_normal((3, 4, 5, 2)).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(im2col(x, 3, 3, 1, 1), im2col_ref(x, 3, 3, 1, 1))
