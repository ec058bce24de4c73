"""Sandwich layers: common sequences of layers fused into one forward/backward pair."""
from dl4cv.layers import affine_backward, affine_forward, relu_backward, relu_forward


def affine_relu_forward(x, w, b):
    """Affine layer followed by a ReLU.

    Inputs:
    - x: (N, d_1, ..., d_k) input.
    - w: (D, M) weights, D = d_1 * ... * d_k.
    - b: (M,) biases.

    Returns a tuple of:
    - out: (N, M) output of the ReLU.
    - cache: (fc_cache, relu_cache), for ``affine_relu_backward``.
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """Backward pass of ``affine_relu_forward``.

    Inputs: dout: (N, M) upstream gradient; cache from ``affine_relu_forward``.
    Returns ``(dx, dw, db)`` with shapes (N, d_1, ..., d_k), (D, M), (M,).
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)
