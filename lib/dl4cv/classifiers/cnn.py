"""Convolutional networks built from the fast layers and the sandwich layers."""
import numpy as np

from dl4cv import conv_layer_utils, layer_utils, layers
from dl4cv.plugins import resolve_plugins

_LIBRARY_LAYERS = {
    "conv_relu_pool_forward": conv_layer_utils.conv_relu_pool_forward,
    "conv_relu_pool_backward": conv_layer_utils.conv_relu_pool_backward,
    "affine_relu_forward": layer_utils.affine_relu_forward,
    "affine_relu_backward": layer_utils.affine_relu_backward,
    "affine_forward": layers.affine_forward,
    "affine_backward": layers.affine_backward,
    "softmax_loss": layers.softmax_loss,
}


class ThreeLayerConvNet:
    """conv - ReLU - 2x2 max pool - affine - ReLU - affine - softmax.

    The convolution keeps the spatial size (stride 1, zero padding ``(filter_size - 1) // 2``,
    so ``filter_size`` should be odd); the pool halves it. The loss adds
    ``0.5 * reg * sum(W * W)`` for W1, W2 and W3 (not the biases).

    Learnable parameters live in ``self.params``:
    - W1: (F, C, HH, WW) filters, HH = WW = filter_size;  b1: (F,);
    - W2: (F * H/2 * W/2, hidden_dim);                   b2: (hidden_dim,);
    - W3: (hidden_dim, num_classes);                     b3: (num_classes,).

    Plug-ins: ``layers`` overrides any of the functions in ``LAYER_NAMES`` with the student's
    (a mapping or an object with those attributes), as in ``TwoLayerNet``.
    """

    LAYER_NAMES = tuple(_LIBRARY_LAYERS)

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, rng=None,
                 layers=None):
        """
        Inputs:
        - input_dim: (C, H, W) of one input image; H and W even.
        - num_filters: F, the number of convolution filters.
        - filter_size: HH = WW, the filters' height and width (odd).
        - hidden_dim: units in the hidden affine layer.
        - num_classes: C, the number of scores.
        - weight_scale: standard deviation of the Gaussian initial weights; biases start at 0.
        - reg: L2 regularization strength.
        - dtype: parameter dtype; float32 (default) trains fast, float64 for gradient checks.
        - rng: ``np.random.Generator`` (or seed) for the initial weights.
        - layers: optional plug-in layer functions (see the class docstring).
        """
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"dtype must be a floating type such as np.float32 or np.float64, got {dtype!r}")
        C, H, W = input_dim
        if filter_size % 2 == 0 or H % 2 or W % 2:
            raise ValueError(f"ThreeLayerConvNet needs an odd filter_size and even H, W; got "
                             f"filter_size={filter_size}, input_dim={input_dim}")
        rng = np.random.default_rng(rng)
        self.reg = reg
        self.dtype = dtype
        self.layers = resolve_plugins(layers, _LIBRARY_LAYERS, "ThreeLayerConvNet")
        params = {
            "W1": weight_scale * rng.standard_normal((num_filters, C, filter_size, filter_size)),
            "b1": np.zeros(num_filters),
            "W2": weight_scale * rng.standard_normal((num_filters * (H // 2) * (W // 2), hidden_dim)),
            "b2": np.zeros(hidden_dim),
            "W3": weight_scale * rng.standard_normal((hidden_dim, num_classes)),
            "b3": np.zeros(num_classes),
        }
        self.params = {k: v.astype(dtype) for k, v in params.items()}

    def loss(self, X, y=None):
        """Scores at test time, loss and gradients at training time.

        Inputs:
        - X: (N, C, H, W) images; cast to ``self.dtype``.
        - y: (N,) integer labels, or None.

        Returns:
        - if y is None: scores, (N, num_classes);
        - otherwise a tuple of loss (scalar) and grads, a dict with the keys of
          ``self.params`` mapping to gradients of the same shapes.
        """
        lay, p = self.layers, self.params
        X = np.asarray(X).astype(self.dtype, copy=False)
        filter_size = p["W1"].shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        pooled, conv_cache = lay.conv_relu_pool_forward(X, p["W1"], p["b1"], conv_param, pool_param)
        hidden, hidden_cache = lay.affine_relu_forward(pooled, p["W2"], p["b2"])
        scores, scores_cache = lay.affine_forward(hidden, p["W3"], p["b3"])
        if y is None:
            return scores

        data_loss, dscores = lay.softmax_loss(scores, y)
        weights = ("W1", "W2", "W3")
        loss = data_loss + 0.5 * self.reg * sum(np.sum(p[w] * p[w]) for w in weights)
        grads = {}
        dhidden, grads["W3"], grads["b3"] = lay.affine_backward(dscores, scores_cache)
        dpooled, grads["W2"], grads["b2"] = lay.affine_relu_backward(dhidden, hidden_cache)
        _, grads["W1"], grads["b1"] = lay.conv_relu_pool_backward(dpooled, conv_cache)
        for w in weights:
            grads[w] = grads[w] + self.reg * p[w]
        return loss, grads
