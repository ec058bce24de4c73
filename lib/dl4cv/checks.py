"""Public checks for the notebooks: print ``OK: ...`` or fail with a message a student can act on.

``check_close`` and ``check_gradient`` return None, so a check cell has no ``Out[...]``
value: nbgrader's Validate (and its autograder) reads a number shown by a graded cell as a
partial score, and would report every correct notebook as losing credit.

A failed check raises ``AssertionError`` whose message names the value, the problem and,
where one is known, what to look at: a missing ``return``, a wrong shape, an integer or
lower-precision dtype, NaN or inf, or the size and place of the largest error. Messages
report sizes of errors and indices, never the expected values themselves, so the same
helpers are safe where the expected values are not shown. ``check_no_loops`` reads a
function's own source for Python loops (the graded check also follows what it calls).
"""
import ast
import inspect
import textwrap

import numpy as np

from dl4cv.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    relative_errors,
)


def check_returns(result, names, func_name="your function"):
    """Check that a function returned one value per name, and return them as a tuple.

    Inputs:
    - result: what the function returned.
    - names: the names of the values it should return, e.g. ``("loss", "dW")``.
    - func_name: the function's name, for the message.

    Example: ``loss, dW = check_returns(svm_loss_naive(W, X, y, 0.0), ("loss", "dW"), "svm_loss_naive")``
    """
    wanted = ", ".join(names)
    if result is None:
        raise AssertionError(f"{func_name} returned None: did you forget to `return {wanted}`?")
    if len(names) == 1:
        return (result,)
    if not isinstance(result, tuple) or len(result) != len(names):
        got = f"{len(result)} values" if isinstance(result, tuple) else f"one {type(result).__name__}"
        raise AssertionError(f"{func_name} returned {got} but should return {len(names)}: {wanted}")
    return result


def _where(index):
    """' at index (i, j)' for an array entry, '' for a scalar (empty index)."""
    return f" at index {index}" if index else ""


def _first(index):
    """' (the first at index (i, j))' for an array entry, '' for a scalar."""
    return f" (the first{_where(index)})" if index else ""


def _check_form(name, actual, expected):
    """Shape, dtype and finiteness checks; returns (actual, expected) as float64 arrays."""
    if actual is None:
        raise AssertionError(f"{name} is None: did you forget to compute it or to return it?")
    try:
        a = np.asarray(actual)
        a.astype(np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name} should be a number or an array of numbers, got {type(actual).__name__}"
        ) from None
    e = np.asarray(expected)
    if a.shape != e.shape:
        advice = ""
        if a.shape == e.shape[::-1]:
            advice = ": it is transposed; check the order of the operands of a product"
        elif a.size == e.size:
            advice = ": it has the right number of entries; reshape it to the input's shape"
        raise AssertionError(f"{name} has shape {a.shape} but should have shape {e.shape}{advice}")
    if np.issubdtype(e.dtype, np.floating):
        if a.dtype == bool or np.issubdtype(a.dtype, np.integer):
            raise AssertionError(
                f"{name} has dtype {a.dtype} but should be floating point ({e.dtype}): "
                "look for an array created with an integer dtype or values cast with int()"
            )
        if np.issubdtype(a.dtype, np.floating) and np.finfo(a.dtype).bits < np.finfo(e.dtype).bits:
            raise AssertionError(
                f"{name} has dtype {a.dtype} but should have dtype {e.dtype}: "
                "keep the inputs' precision (no .astype(np.float32))"
            )
    bad = ~np.isfinite(a.astype(np.float64))
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"{name} contains {int(bad.sum())} NaN or inf value(s){_first(first)}: "
            "look for exp overflowing (shift scores by their row maximum), log(0) or division by zero"
        )
    return a.astype(np.float64), e.astype(np.float64)


def check_close(name, actual, expected, *, max_rel_error=None, rtol=None, atol=None,
                hint=None, expected_name="the expected value"):
    """Check that ``actual`` matches ``expected``; print ``OK: ...`` or raise ``AssertionError``.

    Inputs:
    - name: what is checked, as the student knows it (``"dW"``, ``"loss"``).
    - actual: the student's value, a number or an array.
    - expected: the reference value, same shape.
    - max_rel_error: tolerance on the largest elementwise relative error
      ``|a - e| / max(1e-8, |a| + |e|)``; the default (when neither rtol nor atol is given)
      is 1e-7.
    - rtol, atol: instead, the ``np.allclose`` criterion ``|a - e| <= atol + rtol * |e|``.
    - hint: what to look at if the values differ, e.g. ``"check the regularization term"``.
    - expected_name: how to call the expected value in messages.

    Returns None; the printed line gives the largest relative error (or the largest absolute
    difference with rtol/atol).
    """
    if max_rel_error is not None and (rtol is not None or atol is not None):
        raise ValueError("give either max_rel_error or rtol/atol, not both")
    a, e = _check_form(name, actual, expected)
    advice = f"; {hint}" if hint else ""
    if rtol is None and atol is None:
        tol = 1e-7 if max_rel_error is None else max_rel_error
        errors = relative_errors(a, e)
        worst = float(errors.max()) if errors.size else 0.0
        if worst > tol:
            index = np.unravel_index(int(np.argmax(errors)), errors.shape)
            raise AssertionError(
                f"{name} differs from {expected_name}: max relative error {worst:.1e}"
                f"{_where(tuple(int(i) for i in index))} (should be below {tol:.0e}){advice}"
            )
        print(f"OK: {name} matches {expected_name} (max relative error {worst:.1e})")
        return
    rtol = 0.0 if rtol is None else rtol
    atol = 0.0 if atol is None else atol
    diff = np.abs(a - e)
    wrong = diff > atol + rtol * np.abs(e)
    worst = float(diff.max()) if diff.size else 0.0
    if wrong.any():
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise AssertionError(
            f"{name} differs from {expected_name} at {int(wrong.sum())} of {wrong.size} entries"
            f"{_first(index)}; largest difference {worst:.1e} "
            f"(tolerance atol={atol:g}, rtol={rtol:g}){advice}"
        )
    print(f"OK: {name} matches {expected_name} (largest difference {worst:.1e})")


def check_gradient(name, f, x, analytic, *, df=None, max_rel_error=1e-7, h=1e-5, hint=None):
    """Check an analytic gradient against a numerical one (centred differences).

    Inputs:
    - name: the gradient's name (``"dW"``, ``"dx"``).
    - f: function of x. Without ``df`` it returns a scalar (a loss); with ``df`` it returns
      an array (a layer's output) and the gradient of ``sum(f(x) * df)`` is checked.
    - x: (d_1, ..., d_k) float64 array, the point of the check (perturbed and restored).
    - analytic: (d_1, ..., d_k) the gradient to check.
    - df: optional upstream gradient, shaped like ``f(x)``.
    - max_rel_error, h, hint: tolerance, step size, advice on failure.

    Returns None, like ``check_close``.
    """
    x_dtype = np.asarray(x).dtype
    if x_dtype != np.float64:
        raise ValueError(
            f"x has dtype {x_dtype}: numerical gradients need float64 to be accurate; "
            "check with x.astype(np.float64)"
        )
    if df is None:
        numerical = eval_numerical_gradient(f, x, verbose=False, h=h)
    else:
        numerical = eval_numerical_gradient_array(f, x, df, h=h)
    check_close(name, analytic, numerical, max_rel_error=max_rel_error, hint=hint,
                expected_name="the numerical gradient")


_LOOPS = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
          ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
          ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression"}


def check_no_loops(func):
    """Check that the source of ``func`` has no Python loop (``for``, ``while``, comprehension).

    Prints ``OK: ...`` or raises ``AssertionError`` naming each loop and its line in the
    function. Only the function's own source is read; when it cannot be found (a function
    made at run time), prints that the check is left to grading and returns. Returns None.
    """
    name = getattr(func, "__name__", "the function")
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        print(f"note: the source of {name} is not available here; its loops are checked when graded")
        return
    loops = sorted({(node.lineno, _LOOPS[type(node)]) for node in ast.walk(ast.parse(source))
                    if type(node) in _LOOPS})
    if loops:
        found = ", ".join(f"{kind} at line {line}" for line, kind in loops)
        raise AssertionError(f"{name} must not loop in Python, but has {found} (line 1 is its def): "
                             "replace the loop by operations on whole arrays")
    print(f"OK: {name} has no Python loop")
