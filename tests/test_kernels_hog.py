"""HOG and hue-histogram kernels agree with their NumPy references and known values."""
import numpy as np
import pytest

from dl4cv.kernels.hog import hog, hog_ref
from dl4cv.kernels.hue_histogram import hue_histogram, hue_histogram_ref


@pytest.mark.parametrize("shape", [(32, 32), (16, 24), (19, 13)])
def test_hog_matches_reference(shape):
    img = np.random.default_rng(0).integers(0, 256, shape).astype(np.float64)
    h = hog(img)
    assert h.shape == (shape[1] // 8, shape[0] // 8, 9)
    np.testing.assert_allclose(h, hog_ref(img), rtol=1e-12, atol=1e-12)


def test_hog_of_a_horizontal_ramp():
    img = np.tile(np.arange(16.0), (16, 1))  # gx = 1 except in the last column, gy = 0
    h = hog(img)
    expected = np.zeros((2, 2, 9))
    expected[0, :, 4] = 1.0  # orientation 90 degrees: bin 4
    expected[1, :, 4] = 56 / 64  # the last column has no right neighbour
    np.testing.assert_allclose(h, expected)


def test_hue_histogram_matches_matplotlib_and_numpy():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (9, 11, 3)) / 255
    rgb[0, :3] = [0.5, 0.5, 0.5]  # grey: hue 0
    rgb[1, 0] = [1.0, 1.0, 0.0]  # ties between channels
    rgb[1, 1] = [0.0, 1.0, 1.0]
    for edges in (np.linspace(0, 255, 11), np.linspace(10, 200, 7)):
        counts = hue_histogram(rgb, 255, edges)
        np.testing.assert_array_equal(counts, hue_histogram_ref(rgb, 255, edges))
    assert hue_histogram(rgb, 255, np.linspace(0, 255, 11)).sum() == rgb.shape[0] * rgb.shape[1]


def test_hue_histogram_rejects_out_of_range_values():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        hue_histogram(np.full((2, 2, 3), 2.0), 255, np.linspace(0, 255, 11))
