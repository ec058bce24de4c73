"""Reference layers of assignment 1: affine, ReLU, and the multiclass SVM and softmax losses.

Every layer is a pair ``<name>_forward(...) -> (out, cache)`` and
``<name>_backward(dout, cache) -> grads``; the losses return ``(loss, dx)`` directly. Later
assignments add their layers (batch norm, dropout, convolution, ...) in their own modules.
"""
import numpy as np


def affine_forward(x, w, b):
    """Fully connected layer: ``out = x.reshape(N, D) @ w + b``.

    Inputs:
    - x: (N, d_1, ..., d_k) input; each example is flattened to D = d_1 * ... * d_k values.
    - w: (D, M) weights.
    - b: (M,) biases.

    Returns a tuple of:
    - out: (N, M) output.
    - cache: (x, w, b), for ``affine_backward``.
    """
    n = x.shape[0]
    if x[0].size != w.shape[0]:
        raise ValueError(
            f"affine_forward: each example of x has {x[0].size} values (x has shape {x.shape}) "
            f"but w has shape {w.shape}: w needs one row per input value"
        )
    out = x.reshape(n, -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Backward pass of ``affine_forward``.

    Inputs:
    - dout: (N, M) upstream gradient.
    - cache: (x, w, b) from ``affine_forward``.

    Returns a tuple of:
    - dx: (N, d_1, ..., d_k) gradient with respect to x.
    - dw: (D, M) gradient with respect to w.
    - db: (M,) gradient with respect to b.
    """
    x, w, _ = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """Rectified linear unit: ``out = max(0, x)`` elementwise.

    Inputs: x: array of any shape. Returns ``(out, cache)``: out shaped like x, cache = x.
    """
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """Backward pass of ``relu_forward``: the gradient passes where the input was positive.

    Inputs: dout: upstream gradient, any shape; cache: the input x, same shape.
    Returns dx, same shape.
    """
    x = cache
    return dout * (x > 0)


def _check_labels(x, y, loss_name):
    """Raise a clear error unless y holds one valid class index per row of x: (N, C)."""
    y = np.asarray(y)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(
            f"{loss_name}: expected scores x of shape (N, C) and labels y of shape (N,), "
            f"got x {x.shape} and y {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{loss_name}: y must hold integer class indices, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= x.shape[1]):
        raise ValueError(
            f"{loss_name}: labels must lie in [0, {x.shape[1] - 1}] for {x.shape[1]} classes, "
            f"got labels from {y.min()} to {y.max()}"
        )


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1, averaged over the N examples.

    ``loss = mean_i sum_{j != y_i} max(0, x[i, j] - x[i, y_i] + 1)``

    Inputs:
    - x: (N, C) class scores.
    - y: (N,) integer labels, 0 <= y[i] < C.

    Returns a tuple of:
    - loss: scalar.
    - dx: (N, C) gradient of the loss with respect to x.
    """
    _check_labels(x, y, "svm_loss")
    n = x.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    loss = margins.sum() / n
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] = -dx.sum(axis=1)
    return loss, dx / n


def softmax_loss(x, y):
    """Softmax (cross-entropy) loss averaged over the N examples, numerically stable.

    Scores are shifted by their row maximum before exponentiating, which leaves the
    probabilities unchanged and keeps ``exp`` from overflowing for large scores.

    Inputs: x: (N, C) class scores; y: (N,) integer labels with 0 <= y[i] < C.

    Returns ``(loss, dx)``: the scalar loss and its gradient dx: (N, C) with respect to x.
    """
    _check_labels(x, y, "softmax_loss")
    rows = np.arange(x.shape[0])
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    return loss, dx / x.shape[0]
