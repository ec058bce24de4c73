"""The library's reference KNearestNeighbor: the three distance methods agree, votes break ties low."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dl4cv.classifiers.k_nearest_neighbor import KNearestNeighbor


def _trained(X, y):
    knn = KNearestNeighbor()
    knn.train(X, y)
    return knn


def test_hand_computed_distances():
    knn = _trained(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([0, 1]))
    X = np.array([[0.0, 0.0], [6.0, 8.0]])
    want = np.array([[0.0, 5.0], [10.0, 5.0]])
    for method in (knn.compute_distances_two_loops, knn.compute_distances_one_loop,
                   knn.compute_distances_no_loops):
        np.testing.assert_allclose(method(X), want, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.integers(1, 12), st.integers(0, 10_000))
def test_methods_agree(num_test, num_train, dim, seed):
    rng = np.random.default_rng(seed)
    knn = _trained(rng.normal(size=(num_train, dim)) * 10, rng.integers(0, 3, num_train))
    X = rng.normal(size=(num_test, dim)) * 10
    two = knn.compute_distances_two_loops(X)
    assert two.shape == (num_test, num_train)
    np.testing.assert_allclose(knn.compute_distances_one_loop(X), two, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(knn.compute_distances_no_loops(X), two, rtol=1e-7, atol=1e-6)


def test_ties_go_to_the_smaller_label_and_k_counts():
    knn = _trained(np.zeros((5, 1)), np.array([3, 1, 1, 3, 0]))
    dists = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    assert knn.predict_labels(dists, k=1).tolist() == [3]
    assert knn.predict_labels(dists, k=2).tolist() == [1]  # 3 and 1 tie -> 1
    assert knn.predict_labels(dists, k=3).tolist() == [1]
    assert knn.predict_labels(dists, k=4).tolist() == [1]  # 2 votes each -> 1
    assert knn.predict_labels(dists, k=5).tolist() == [1]


def test_predict_uses_the_chosen_method_and_rejects_bad_input():
    rng = np.random.default_rng(3)
    knn = _trained(rng.normal(size=(30, 4)), rng.integers(0, 4, 30))
    X = rng.normal(size=(7, 4))
    assert knn.predict(X, k=3, num_loops=0).tolist() == knn.predict(X, k=3, num_loops=2).tolist()
    with pytest.raises(ValueError, match="num_loops"):
        knn.predict(X, num_loops=3)
    with pytest.raises(ValueError, match="shape"):
        knn.compute_distances_no_loops(X[:, :2])
    with pytest.raises(ValueError, match="k must be"):
        knn.predict(X, k=31)
