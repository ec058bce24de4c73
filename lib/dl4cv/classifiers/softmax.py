"""Softmax (cross-entropy) loss of a linear classifier, naive (loops) and vectorized.

Both compute, for scores ``s = X @ W``,
``loss = mean_i -log(exp(s[i, y_i]) / sum_j exp(s[i, j])) + reg * sum(W * W)``,
shifting each row of scores by its maximum so that large scores do not overflow.
"""
import numpy as np

from dl4cv.classifiers.linear_loss import check_inputs, l2_penalty, vectorized_linear_loss
from dl4cv.layers import softmax_loss


def softmax_loss_naive(W, X, y, reg):
    """Softmax loss with an explicit loop over examples and classes.

    Inputs: W: (D, C) weights, X: (N, D) minibatch of data, y: (N,) labels with
    0 <= y[i] < C, reg: regularization strength.

    Returns ``(loss, dW)``: the scalar loss and its gradient dW: (D, C) with respect to W.
    """
    check_inputs(W, X, y, "softmax_loss_naive")
    num_train, num_classes = X.shape[0], W.shape[1]
    loss = 0.0
    dW = np.zeros_like(W)
    for i in range(num_train):
        scores = X[i] @ W
        scores = scores - np.max(scores)
        exp_scores = np.exp(scores)
        total = np.sum(exp_scores)
        loss += np.log(total) - scores[y[i]]
        for j in range(num_classes):
            prob = exp_scores[j] / total
            dW[:, j] += (prob - (j == y[i])) * X[i]
    penalty, dpenalty = l2_penalty(W, reg)
    return loss / num_train + penalty, dW / num_train + dpenalty


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss without loops; same inputs and outputs as ``softmax_loss_naive``."""
    return vectorized_linear_loss(W, X, y, reg, softmax_loss, "softmax_loss_vectorized")
