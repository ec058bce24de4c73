"""Image features: CS231n's shapes and values, built on the HOG and hue-histogram kernels."""
import matplotlib.colors
import numpy as np
import pytest

from dl4cv.features import color_histogram_hsv, extract_features, hog_feature, rgb2gray
from dl4cv.kernels.hog import hog_ref


def _image(seed=0, shape=(32, 32, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.float64)


def test_hog_feature_of_colour_and_gray_images():
    im = _image()
    feats = hog_feature(im)
    assert feats.shape == (144,) and feats.dtype == np.float64
    np.testing.assert_allclose(feats, hog_ref(rgb2gray(im)).ravel(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hog_feature(rgb2gray(im)), feats)
    assert rgb2gray(np.ones((1, 1, 3)))[0, 0] == pytest.approx(0.299 + 0.587 + 0.144)


@pytest.mark.parametrize("nbin, xmin, xmax", [(10, 0, 255), (7, 20, 200)])
def test_color_histogram_matches_the_matplotlib_numpy_formula(nbin, xmin, xmax):
    im = _image(1) * xmax / 255
    hue = matplotlib.colors.rgb_to_hsv(im / xmax)[..., 0] * xmax
    density, edges = np.histogram(hue, bins=np.linspace(xmin, xmax, nbin + 1), density=True)
    got = color_histogram_hsv(im, nbin=nbin, xmin=xmin, xmax=xmax)
    np.testing.assert_allclose(got, density * np.diff(edges), rtol=1e-12)
    counts = np.histogram(hue, bins=edges)[0]
    np.testing.assert_allclose(color_histogram_hsv(im, nbin, xmin, xmax, normalized=False), counts * np.diff(edges))


def test_color_histogram_of_a_pure_red_image():
    im = np.zeros((4, 4, 3))
    im[..., 0] = 255
    np.testing.assert_array_equal(color_histogram_hsv(im), [1] + [0] * 9)


def test_extract_features_stacks_every_function(capsys):
    imgs = np.stack([_image(seed) for seed in range(3)])
    fns = [hog_feature, lambda im: color_histogram_hsv(im, nbin=5)]
    feats = extract_features(imgs, fns)
    assert feats.shape == (3, 149)
    for i in range(3):
        np.testing.assert_allclose(feats[i, :144], hog_feature(imgs[i]))
        np.testing.assert_allclose(feats[i, 144:], color_histogram_hsv(imgs[i], nbin=5))
    assert extract_features(imgs[:0], fns).size == 0
    extract_features(np.zeros((1001, 8, 8, 3)), [lambda im: im[0, 0]], verbose=True)
    assert "Done extracting features for 1000 / 1001 images" in capsys.readouterr().out


def test_feature_functions_must_return_vectors():
    with pytest.raises(ValueError, match=r"1-D array; got shape \(8, 8\)"):
        extract_features(np.zeros((2, 8, 8, 3)), [lambda im: im[..., 0]])
