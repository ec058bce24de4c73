"""Numerical gradients by centred differences, and relative errors to compare gradients.

A centred difference ``(f(x + h) - f(x - h)) / (2h)`` has error O(h^2); with ``h = 1e-5``
and float64 inputs a correct analytic gradient typically agrees to a relative error below
1e-7. Float32 inputs lose most of those digits: check gradients in float64.

Every function here perturbs ``x`` in place, one entry at a time, and restores it.
"""
import numpy as np


def _centred_values(f, x, ix, h):
    """Evaluate ``f`` at ``x`` with entry ``ix`` moved to ``x[ix] + h`` and ``x[ix] - h``.

    Returns ``(f_plus, f_minus)``; ``x`` is left as it was.
    """
    old = x[ix]
    x[ix] = old + h
    f_plus = np.copy(f(x))
    x[ix] = old - h
    f_minus = np.copy(f(x))
    x[ix] = old
    return f_plus, f_minus


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Numerical gradient of a scalar function.

    Inputs:
    - f: function taking an array shaped like ``x`` and returning a scalar.
    - x: (d_1, ..., d_k) float array, the point at which to differentiate (float64 advised).
    - verbose: print each index and its gradient entry.
    - h: step size.

    Returns:
    - grad: (d_1, ..., d_k) array, ``grad[i] ~ df/dx[i]``.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(*x.shape):
        f_plus, f_minus = _centred_values(f, x, ix, h)
        grad[ix] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of ``sum(f(x) * df)`` for an array-valued function.

    This is the gradient a layer's backward pass returns for ``x`` when the upstream
    gradient is ``df``.

    Inputs:
    - f: function taking an array shaped like ``x`` and returning an array shaped like ``df``.
    - x: (d_1, ..., d_k) float array.
    - df: upstream gradient, same shape as ``f(x)``.
    - h: step size.

    Returns:
    - grad: (d_1, ..., d_k) array.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(*x.shape):
        f_plus, f_minus = _centred_values(f, x, ix, h)
        grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
    return grad


def relative_errors(x, y):
    """Elementwise relative error ``|x - y| / max(1e-8, |x| + |y|)``; 0 where both are 0.

    Inputs: x, y: arrays of the same shape. Returns an array of that shape.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))


def rel_error(x, y):
    """Largest elementwise relative error between ``x`` and ``y`` (see ``relative_errors``)."""
    return float(np.max(relative_errors(x, y)))


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, rng=None):
    """Compare ``analytic_grad`` with numerical derivatives at a few random entries of ``x``.

    Prints one line per checked entry (numerical, analytic, relative error).

    Inputs:
    - f: function taking an array shaped like ``x`` and returning a scalar.
    - x: (d_1, ..., d_k) float array.
    - analytic_grad: (d_1, ..., d_k) array, the gradient to check.
    - num_checks: how many random entries to check (sampled with replacement).
    - h: step size.
    - rng: ``np.random.Generator`` (or seed) choosing the entries; fresh if None.

    Returns:
    - the largest relative error over the checked entries.
    """
    if np.shape(analytic_grad) != x.shape:
        raise ValueError(
            f"analytic_grad has shape {np.shape(analytic_grad)} but x has shape {x.shape}: "
            "a gradient must have the shape of the variable it differentiates"
        )
    rng = np.random.default_rng(rng)
    worst = 0.0
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        f_plus, f_minus = _centred_values(f, x, ix, h)
        numerical = float((f_plus - f_minus) / (2 * h))
        analytic = float(analytic_grad[ix])
        err = rel_error(numerical, analytic)
        worst = max(worst, err)
        print(f"numerical: {numerical:f} analytic: {analytic:f}, relative error: {err:e}")
    return worst
