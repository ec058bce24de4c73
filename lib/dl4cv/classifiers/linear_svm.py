"""Multiclass SVM loss of a linear classifier, naive (loops) and vectorized.

Both compute, for scores ``s = X @ W`` and margin delta = 1,
``loss = mean_i sum_{j != y_i} max(0, s[i, j] - s[i, y_i] + 1) + reg * sum(W * W)``.
"""
import numpy as np

from dl4cv.classifiers.linear_loss import check_inputs, l2_penalty, vectorized_linear_loss
from dl4cv.layers import svm_loss


def svm_loss_naive(W, X, y, reg):
    """SVM loss with explicit loops over examples and classes.

    Inputs:
    - W: (D, C) weights.
    - X: (N, D) minibatch of data.
    - y: (N,) labels, 0 <= y[i] < C.
    - reg: regularization strength.

    Returns a tuple of:
    - loss: scalar.
    - dW: (D, C) gradient of the loss with respect to W.
    """
    check_inputs(W, X, y, "svm_loss_naive")
    num_train, num_classes = X.shape[0], W.shape[1]
    loss = 0.0
    dW = np.zeros_like(W)
    for i in range(num_train):
        scores = X[i] @ W
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1.0
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    penalty, dpenalty = l2_penalty(W, reg)
    return loss / num_train + penalty, dW / num_train + dpenalty


def svm_loss_vectorized(W, X, y, reg):
    """SVM loss without loops; same inputs and outputs as ``svm_loss_naive``."""
    return vectorized_linear_loss(W, X, y, reg, svm_loss, "svm_loss_vectorized")
