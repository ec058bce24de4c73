"""Pairwise squared distances: kernel vs the NumPy formula vs brute force."""
import numpy as np
import pytest

from dl4cv.kernels.distances import pairwise_sq_dists, pairwise_sq_dists_ref


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_formula_and_brute_force(dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((13, 20)).astype(dtype)
    Y = rng.standard_normal((17, 20)).astype(dtype)
    d = pairwise_sq_dists(X, Y)
    assert d.dtype == dtype and d.shape == (13, 17)
    brute = ((X[:, None, :].astype(np.float64) - Y[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_allclose(d, brute, rtol=1e-4 if dtype == np.float32 else 1e-10)
    np.testing.assert_allclose(d, pairwise_sq_dists_ref(X, Y), rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_identical_rows_give_zero_never_negative():
    X = np.random.default_rng(1).uniform(0, 255, (5, 3072)).astype(np.float32)
    d = pairwise_sq_dists(X, X)
    assert (d >= 0).all()
    assert np.all(np.diag(d) <= 1e-3 * np.max(d))
    ints = np.arange(12).reshape(3, 4)
    assert pairwise_sq_dists(ints, ints).dtype == np.float64


def test_mismatched_features_raise():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        pairwise_sq_dists(np.zeros((2, 3)), np.zeros((4, 5)))
