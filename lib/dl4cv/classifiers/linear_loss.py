"""What the linear classifiers' losses share: input checks, the L2 penalty, the vectorized form.

Regularization convention (CS231n's, for the linear SVM and softmax classifiers):
``R(W) = reg * sum(W * W)``, so its gradient is ``2 * reg * W``. The two-layer network uses
``0.5 * reg * sum(W * W)`` instead (see ``dl4cv.classifiers.fc_net``).
"""
import numpy as np


def check_inputs(W, X, y, func_name):
    """Raise a clear error unless W: (D, C), X: (N, D) and y: (N,) fit together."""
    W, X, y = np.asarray(W), np.asarray(X), np.asarray(y)
    if W.ndim != 2 or X.ndim != 2 or y.ndim != 1:
        raise ValueError(
            f"{func_name}: expected W (D, C), X (N, D), y (N,), "
            f"got W {W.shape}, X {X.shape}, y {y.shape}; flatten images with X.reshape(N, -1)"
        )
    if X.shape[1] != W.shape[0] or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{func_name}: shapes do not fit: W {W.shape} needs X of shape (N, {W.shape[0]}) "
            f"and y of shape (N,), got X {X.shape} and y {y.shape}"
        )


def l2_penalty(W, reg):
    """L2 regularization ``reg * sum(W * W)`` and its gradient ``2 * reg * W``."""
    return reg * np.sum(W * W), 2 * reg * W


def vectorized_linear_loss(W, X, y, reg, score_loss, func_name):
    """Loss and gradient of a linear classifier, given a loss on scores.

    Inputs:
    - W: (D, C) weights; X: (N, D) data; y: (N,) labels; reg: regularization strength.
    - score_loss: ``(scores (N, C), y) -> (loss, dscores)``, e.g. ``dl4cv.layers.svm_loss``.
    - func_name: the public function's name, for error messages.

    Returns ``(loss, dW)``, dW: (D, C).
    """
    check_inputs(W, X, y, func_name)
    data_loss, dscores = score_loss(X @ W, y)
    penalty, dpenalty = l2_penalty(W, reg)
    return data_loss + penalty, X.T @ dscores + dpenalty
