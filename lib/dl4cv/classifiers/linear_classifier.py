"""Linear classifiers trained by minibatch stochastic gradient descent.

``LinearSVM`` and ``Softmax`` use the library's vectorized losses. Any of them accepts
``loss_fn=`` with the signature ``loss_fn(W, X, y, reg) -> (loss, dW)``, so a notebook can
train a classifier with the student's own loss::

    svm = LinearSVM(loss_fn=svm_loss_vectorized)   # the function from the student's cell
    loss_history = svm.train(X_train, y_train, rng=np.random.default_rng(0))
"""
import numpy as np

from dl4cv.classifiers.linear_svm import svm_loss_vectorized
from dl4cv.classifiers.softmax import softmax_loss_vectorized


class LinearClassifier:
    """A linear classifier ``scores = X @ W`` with W: (D, C).

    ``LinearClassifier`` itself has no loss: use a subclass, or pass ``loss_fn``.
    """

    reference_loss = None  # subclasses: the library's loss, used when no loss_fn is given

    def __init__(self, loss_fn=None):
        """loss_fn: optional ``(W, X, y, reg) -> (loss, dW)`` replacing the class's loss."""
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(f"loss_fn must be a function (W, X, y, reg) -> (loss, dW), got {loss_fn!r}")
        self.loss_fn = loss_fn
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200,
              verbose=False, rng=None):
        """Train by minibatch SGD; minibatches are sampled with replacement.

        Inputs:
        - X: (N, D) training data.
        - y: (N,) labels, 0 <= y[i] < C; C is taken as ``max(y) + 1``.
        - learning_rate: SGD step size.
        - reg: regularization strength.
        - num_iters: number of SGD steps.
        - batch_size: examples per step.
        - verbose: print the loss every 100 iterations.
        - rng: ``np.random.Generator`` (or seed) for the initial W and the minibatches.

        Returns:
        - loss_history: list of the loss at each iteration.

        W is initialised (small Gaussian, std 1e-3) on the first call only, so calling
        ``train`` again continues from the current weights.
        """
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(
                f"train expects X of shape (N, D) and y of shape (N,), got X {X.shape} and "
                f"y {y.shape}; flatten images with X.reshape(N, -1)"
            )
        rng = np.random.default_rng(rng)
        num_train, dim = X.shape
        num_classes = int(np.max(y)) + 1
        if self.W is None:
            dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
            self.W = 0.001 * rng.standard_normal((dim, num_classes)).astype(dtype, copy=False)
        loss_history = []
        for it in range(num_iters):
            idx = rng.integers(num_train, size=batch_size)
            loss, grad = self.loss(X[idx], y[idx], reg)
            loss_history.append(float(loss))
            self.W = self.W - learning_rate * grad
            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:f}")
        return loss_history

    def predict(self, X):
        """Predicted labels: (N,) integer array, the highest-scoring class for each row of X: (N, D)."""
        if self.W is None:
            raise RuntimeError("this classifier has no weights yet: call train(X, y) first")
        return np.argmax(X @ self.W, axis=1)

    def loss(self, X_batch, y_batch, reg):
        """Loss and gradient on a minibatch.

        Inputs: X_batch: (N, D); y_batch: (N,); reg: regularization strength.
        Returns ``(loss, dW)`` with dW shaped like ``self.W``.
        """
        fn = self.loss_fn or self.reference_loss
        if fn is None:
            raise NotImplementedError(
                "LinearClassifier has no loss of its own: use LinearSVM or Softmax, "
                "or pass loss_fn=(W, X, y, reg) -> (loss, dW)"
            )
        result = fn(self.W, X_batch, y_batch, reg)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                f"the loss function returned {type(result).__name__} {result!r:.60}, "
                "but must return a pair (loss, dW): did you forget `return loss, dW`?"
            )
        if np.shape(result[1]) != self.W.shape:
            raise ValueError(
                f"the loss function returned dW of shape {np.shape(result[1])} "
                f"but W has shape {self.W.shape}: dW must have W's shape"
            )
        return result


class LinearSVM(LinearClassifier):
    """Linear classifier with the multiclass SVM loss (``svm_loss_vectorized``)."""

    reference_loss = staticmethod(svm_loss_vectorized)


class Softmax(LinearClassifier):
    """Linear classifier with the softmax loss (``softmax_loss_vectorized``)."""

    reference_loss = staticmethod(softmax_loss_vectorized)
