"""k-nearest-neighbour classifier with L2 (Euclidean) distance: the library's reference.

Students write their own ``KNearestNeighbor`` in ``assignments/a1/knn.ipynb``; the
autograder compares their results with this one. The three distance methods are kept
under their CS231n names: the loop versions are written with loops on purpose, so they
serve as slow, obviously-correct references for the vectorised one.
"""
import numpy as np

from dl4cv.kernels.distances import pairwise_sq_dists


class KNearestNeighbor:
    """A kNN classifier: ``train`` memorises, ``predict`` votes among the k closest."""

    def __init__(self):
        self.X_train = None
        self.y_train = None

    def train(self, X, y):
        """Memorise the training data.

        Inputs:
        - X: (num_train, D) training examples.
        - y: (num_train,) integer labels, y[i] is the label of X[i].
        """
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(
                f"train expects X of shape (num_train, D) and y of shape (num_train,), got X "
                f"{X.shape} and y {y.shape}; flatten images first with X.reshape(len(X), -1)"
            )
        self.X_train = X
        self.y_train = y

    def predict(self, X, k=1, num_loops=0):
        """Predict labels for test data.

        Inputs:
        - X: (num_test, D) test examples.
        - k: number of neighbours that vote.
        - num_loops: 0, 1 or 2, which distance method to use.

        Returns:
        - y_pred: (num_test,) predicted labels.
        """
        methods = {
            0: self.compute_distances_no_loops,
            1: self.compute_distances_one_loop,
            2: self.compute_distances_two_loops,
        }
        if num_loops not in methods:
            raise ValueError(f"num_loops must be 0, 1 or 2, got {num_loops!r}")
        return self.predict_labels(methods[num_loops](X), k=k)

    def _check_trained(self, X):
        if self.X_train is None:
            raise RuntimeError("call train(X, y) before computing distances")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.X_train.shape[1]:
            raise ValueError(
                f"X must have shape (num_test, {self.X_train.shape[1]}) like the training "
                f"data, got {X.shape}"
            )
        return X

    def compute_distances_two_loops(self, X):
        """L2 distances with a loop over test and a loop over training examples.

        Inputs:
        - X: (num_test, D) test examples.

        Returns:
        - dists: (num_test, num_train), dists[i, j] = ||X[i] - X_train[j]||_2.
        """
        X = self._check_trained(X)
        dists = np.zeros((X.shape[0], self.X_train.shape[0]))
        for i in range(X.shape[0]):
            for j in range(self.X_train.shape[0]):
                diff = X[i] - self.X_train[j]
                dists[i, j] = np.sqrt(np.dot(diff, diff))
        return dists

    def compute_distances_one_loop(self, X):
        """L2 distances with one loop over test examples; same output as two_loops."""
        X = self._check_trained(X)
        dists = np.zeros((X.shape[0], self.X_train.shape[0]))
        for i in range(X.shape[0]):
            diff = self.X_train - X[i]
            dists[i] = np.sqrt(np.sum(diff * diff, axis=1))
        return dists

    def compute_distances_no_loops(self, X):
        """L2 distances without Python loops; same output as two_loops.

        Uses ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b through the library's pairwise kernel
        (one matrix product, negative rounding residue clipped at zero), then the square root.
        """
        X = self._check_trained(X)
        return np.sqrt(pairwise_sq_dists(X, self.X_train))

    def predict_labels(self, dists, k=1):
        """Majority vote among the k nearest training examples.

        Inputs:
        - dists: (num_test, num_train) distances, as the compute_distances_* methods return.
        - k: number of neighbours that vote (at most num_train).

        Returns:
        - y_pred: (num_test,) labels; a tie between labels goes to the smaller label.
          Neighbours at equal distance are taken in training order.
        """
        dists = np.asarray(dists)
        if dists.ndim != 2 or dists.shape[1] != len(self.y_train):
            raise ValueError(
                f"dists must have shape (num_test, {len(self.y_train)}), got {dists.shape}"
            )
        if not 1 <= k <= dists.shape[1]:
            raise ValueError(f"k must be between 1 and num_train={dists.shape[1]}, got {k}")
        nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
        closest_y = self.y_train[nearest]
        votes = np.zeros((dists.shape[0], int(self.y_train.max()) + 1), dtype=np.int64)
        np.add.at(votes, (np.arange(dists.shape[0])[:, None], closest_y), 1)
        return np.argmax(votes, axis=1)  # argmax picks the first, i.e. smaller, label on ties
