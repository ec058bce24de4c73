"""Fully connected networks built from the layers in ``dl4cv.layers``."""
import numpy as np

from dl4cv import layers as reference_layers
from dl4cv.plugins import resolve_plugins


class TwoLayerNet:
    """Two-layer network: affine - ReLU - affine - softmax.

    Regularization convention (CS231n's for this network): the loss adds
    ``0.5 * reg * sum(W * W)`` for each weight matrix (W1, W2; not the biases), so the
    gradient gains ``reg * W``. The linear classifiers use ``reg * sum(W * W)`` instead.

    Learnable parameters live in ``self.params``:
    - W1: (D, H) first-layer weights;  b1: (H,) first-layer biases;
    - W2: (H, C) second-layer weights; b2: (C,) second-layer biases.

    Plug-ins: ``layers`` overrides any of ``affine_forward``, ``affine_backward``,
    ``relu_forward``, ``relu_backward``, ``softmax_loss`` with the student's functions, as a
    mapping or an object with those attributes; the rest stay the library's::

        net = TwoLayerNet(layers={"affine_forward": affine_forward,
                                  "affine_backward": affine_backward})
    """

    LAYER_NAMES = ("affine_forward", "affine_backward", "relu_forward", "relu_backward",
                   "softmax_loss")

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0, dtype=np.float64, rng=None, layers=None):
        """
        Inputs:
        - input_dim: D, the size of one (flattened) input.
        - hidden_dim: H, the size of the hidden layer.
        - num_classes: C.
        - weight_scale: standard deviation of the Gaussian initial weights; biases start at 0.
        - reg: L2 regularization strength (see the class docstring for the 0.5).
        - dtype: parameter dtype; float64 (default) for gradient checks, float32 is faster.
        - rng: ``np.random.Generator`` (or seed) for the initial weights.
        - layers: optional plug-in layer functions (see the class docstring).
        """
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"dtype must be a floating type such as np.float64 or np.float32, got {dtype!r}")
        rng = np.random.default_rng(rng)
        self.reg = reg
        self.dtype = dtype
        self.layers = resolve_plugins(
            layers, {name: getattr(reference_layers, name) for name in self.LAYER_NAMES},
            "TwoLayerNet")
        params = {
            "W1": weight_scale * rng.standard_normal((input_dim, hidden_dim)),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * rng.standard_normal((hidden_dim, num_classes)),
            "b2": np.zeros(num_classes),
        }
        self.params = {k: v.astype(dtype) for k, v in params.items()}

    def loss(self, X, y=None):
        """Scores at test time, loss and gradients at training time.

        Inputs:
        - X: (N, d_1, ..., d_k) input data, d_1 * ... * d_k = D; cast to ``self.dtype``.
        - y: (N,) integer labels, or None.

        Returns:
        - if y is None: scores, (N, C).
        - otherwise a tuple of loss (scalar) and grads, a dict with the keys of
          ``self.params`` mapping to gradients of the same shapes.
        """
        lay, p = self.layers, self.params
        X = np.asarray(X).astype(self.dtype, copy=False)
        hidden, fc1_cache = lay.affine_forward(X, p["W1"], p["b1"])
        activ, relu_cache = lay.relu_forward(hidden)
        scores, fc2_cache = lay.affine_forward(activ, p["W2"], p["b2"])
        if y is None:
            return scores

        data_loss, dscores = lay.softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        grads = {}
        dactiv, grads["W2"], grads["b2"] = lay.affine_backward(dscores, fc2_cache)
        dhidden = lay.relu_backward(dactiv, relu_cache)
        _, grads["W1"], grads["b1"] = lay.affine_backward(dhidden, fc1_cache)
        grads["W1"] = grads["W1"] + self.reg * p["W1"]
        grads["W2"] = grads["W2"] + self.reg * p["W2"]
        return loss, grads
