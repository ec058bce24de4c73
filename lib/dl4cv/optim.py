"""First-order update rules.

Each rule has the signature ``rule(w, dw, config=None) -> (next_w, config)``:
- w: array of any shape, the current weights;
- dw: array shaped like w, the gradient of the loss with respect to w;
- config: dict of hyperparameters and state (moments, step count); missing keys are filled
  with the defaults below and the same dict is returned, so the caller passes it back in
  on the next step. Give each parameter its own config (``Solver`` does).
"""
import numpy as np


def _with_defaults(config, **defaults):
    """Return ``config`` (a new dict if None) with every missing key set from ``defaults``."""
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
    return config


def _state(config, key, w):
    """The state array ``config[key]``, or zeros shaped like w if it is not set yet."""
    value = config.get(key)
    return np.zeros_like(w) if value is None else value


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: ``w -= learning_rate * dw``.

    config keys:
    - learning_rate: scalar, default 1e-2.
    """
    config = _with_defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: ``v = momentum * v - learning_rate * dw; w += v``.

    config keys:
    - learning_rate: scalar, default 1e-2.
    - momentum: scalar in [0, 1), default 0.9; 0 gives plain SGD.
    - velocity: array shaped like w, the running update; starts at zero.
    """
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config["momentum"] * _state(config, "velocity", w) - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    """RMSProp: scale each step by a running root mean square of the gradients.

    ``cache = decay_rate * cache + (1 - decay_rate) * dw**2``;
    ``w -= learning_rate * dw / (sqrt(cache) + epsilon)``.

    config keys:
    - learning_rate: scalar, default 1e-2.
    - decay_rate: scalar in [0, 1), default 0.99.
    - epsilon: small scalar avoiding division by zero, default 1e-8.
    - cache: array shaped like w, the running mean of squared gradients; starts at zero.
    """
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    decay = config["decay_rate"]
    cache = decay * _state(config, "cache", w) + (1 - decay) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None):
    """Adam: running first and second moments of the gradient, with bias correction.

    The step count t is incremented *before* it is used, so the first step has t = 1 and
    the bias-corrected moments are ``m / (1 - beta1**t)`` and ``v / (1 - beta2**t)``. The
    first step therefore moves each entry by about ``learning_rate`` (times the sign of dw).

    config keys:
    - learning_rate: scalar, default 1e-3.
    - beta1: decay of the first moment, default 0.9.
    - beta2: decay of the second moment, default 0.999.
    - epsilon: small scalar avoiding division by zero, default 1e-8.
    - m: array shaped like w, running mean of gradients; starts at zero.
    - v: array shaped like w, running mean of squared gradients; starts at zero.
    - t: number of steps taken so far; starts at 0.
    """
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0)
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    m = beta1 * _state(config, "m", w) + (1 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1 - beta2) * dw * dw
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
