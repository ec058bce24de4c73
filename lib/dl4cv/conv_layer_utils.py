"""Convenience "sandwich" layers built from the fast convolution and pooling layers.

Same names and contracts as CS231n's: ``conv_relu_*`` is convolution then ReLU,
``conv_relu_pool_*`` is convolution, ReLU, then max pooling.
"""
from dl4cv.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from dl4cv.layers import relu_backward, relu_forward


def conv_relu_forward(x, w, b, conv_param):
    """Convolution followed by ReLU.

    Inputs: x: (N, C, H, W), w: (F, C, HH, WW), b: (F,), conv_param: {'stride', 'pad'}.
    Returns (out: (N, F, Ho, Wo), cache).
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout, cache):
    """Backward pass of ``conv_relu_forward``: dout: (N, F, Ho, Wo) -> (dx, dw, db)."""
    conv_cache, relu_cache = cache
    return conv_backward_fast(relu_backward(dout, relu_cache), conv_cache)


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """Convolution, ReLU, then max pooling.

    Inputs: x: (N, C, H, W), w: (F, C, HH, WW), b: (F,), conv_param: {'stride', 'pad'},
    pool_param: {'pool_height', 'pool_width', 'stride'}. Returns (out, cache).
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    """Backward pass of ``conv_relu_pool_forward``: dout (pooled shape) -> (dx, dw, db)."""
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    return conv_backward_fast(relu_backward(ds, relu_cache), conv_cache)
