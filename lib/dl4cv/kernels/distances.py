"""Pairwise squared Euclidean distances, for k-nearest neighbours.

dists[i, j] = ||X[i] - Y[j]||^2 = ||X[i]||^2 + ||Y[j]||^2 - 2 X[i].Y[j]: one BLAS GEMM for
the dot products, then one Numba pass that adds the norms in place and clamps the small
negative values rounding leaves to 0 (NumPy's no-loop formula needs three more full passes
over the (num_test, num_train) matrix).
"""
import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def _finish_kernel(G, xx, yy):
    M, K = G.shape
    for i in prange(M):
        for j in range(K):
            d = xx[i] + yy[j] - 2 * G[i, j]
            G[i, j] = d if d > 0 else 0


def _operands(X, Y):
    """X: (num_test, D), Y: (num_train, D) as contiguous arrays of one float dtype."""
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"need X: (num_test, D) and Y: (num_train, D) with the same D; got {X.shape} and {Y.shape}")
    dtype = np.result_type(X, Y, np.float32)
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(Y, dtype=dtype)


def pairwise_sq_dists(X, Y):
    """Squared L2 distances of every row of X: (num_test, D) to every row of Y: (num_train, D).

    Returns dists: (num_test, num_train), in X's float dtype (float32 stays float32; integer
    data is computed in float64), never negative. Ranks neighbours like the Euclidean
    distance (take ``np.sqrt`` for the distance itself).
    """
    X, Y = _operands(X, Y)
    xx = np.einsum("ij,ij->i", X, X)
    yy = np.einsum("ij,ij->i", Y, Y)
    G = X @ Y.T
    _finish_kernel(G, xx, yy)
    return G


def pairwise_sq_dists_ref(X, Y):
    """NumPy reference of ``pairwise_sq_dists``: the no-loop formula, clamped at 0."""
    X, Y = _operands(X, Y)
    d = np.sum(X**2, axis=1)[:, None] + np.sum(Y**2, axis=1)[None, :] - 2 * X @ Y.T
    return np.maximum(d, 0)
