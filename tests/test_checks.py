"""Public check helpers: they pass correct values and their failures say what is wrong."""
import numpy as np
import pytest

from dl4cv.checks import check_close, check_gradient, check_no_loops, check_returns


def _fails(match, fn, *args, **kwargs):
    with pytest.raises(AssertionError, match=match) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_matching_values_print_ok_and_return_nothing(capsys):
    # A returned number would show as Out[...] under a check cell, which nbgrader's Validate
    # reads as a partial score (0.0 of the cell's points).
    x = np.random.default_rng(0).standard_normal((3, 2))
    assert check_close("dx", x.copy(), x) is None
    assert capsys.readouterr().out == "OK: dx matches the expected value (max relative error 0.0e+00)\n"
    assert check_close("dx", x.copy(), x, atol=1e-9) is None
    assert capsys.readouterr().out.startswith("OK: dx")


def test_wrong_shape_is_named_with_both_shapes():
    _fails(r"^dx has shape \(4, 5\) but should have shape \(4, 6\)$",
           check_close, "dx", np.zeros((4, 5)), np.zeros((4, 6)))


def test_transposed_and_flattened_results_get_advice():
    _fails("transposed", check_close, "dW", np.zeros((6, 4)), np.zeros((4, 6)))
    _fails("reshape", check_close, "dx", np.zeros(24), np.zeros((4, 6)))


def test_value_errors_report_size_place_tolerance_and_hint():
    expected = np.ones((4, 2))
    actual = expected.copy()
    actual[3, 1] = 1.2
    msg = _fails("dW differs from the expected value", check_close, "dW", actual, expected,
                 hint="check the regularization term")
    assert "max relative error 9.1e-02 at index (3, 1)" in msg  # 0.2 / 2.2
    assert "should be below 1e-07" in msg and msg.endswith("check the regularization term")
    assert "1.2" not in msg  # values themselves are never shown


def test_tolerance_is_respected():
    expected = np.ones(3)
    check_close("x", expected * (1 + 1e-6), expected, max_rel_error=1e-5)
    _fails("largest difference", check_close, "x", expected * 1.01, expected, rtol=1e-3)
    check_close("x", expected * 1.01, expected, rtol=0.02)
    with pytest.raises(ValueError, match="not both"):
        check_close("x", expected, expected, max_rel_error=1e-3, rtol=1e-3)


def test_nan_and_inf_are_detected_and_located():
    actual = np.zeros((2, 3))
    actual[1, 2] = np.nan
    actual[0, 1] = np.inf
    msg = _fails("contains 2 NaN or inf", check_close, "dx", actual, np.zeros((2, 3)))
    assert "index (0, 1)" in msg and "row maximum" in msg
    _fails("loss contains 1 NaN", check_close, "loss", float("nan"), 1.0)


def test_dtype_problems_are_named():
    _fails("has dtype int64 but should be floating point", check_close, "dx", np.zeros(3, dtype=int), np.zeros(3))
    _fails("float32 but should have dtype float64", check_close, "dx",
           np.zeros(3, dtype=np.float32), np.zeros(3))
    _fails("number or an array", check_close, "dx", "zeros", np.zeros(3))


def test_none_results_point_to_a_missing_return():
    _fails("dx is None", check_close, "dx", None, np.zeros(3))
    _fails(r"svm_loss_naive returned None: did you forget to `return loss, dW`\?",
           check_returns, None, ("loss", "dW"), "svm_loss_naive")
    _fails("returned 3 values but should return 2: loss, dW",
           check_returns, (1, 2, 3), ("loss", "dW"), "svm_loss_naive")
    _fails("returned one float", check_returns, 1.0, ("loss", "dW"))
    assert check_returns((1, 2), ("loss", "dW")) == (1, 2)
    assert check_returns(5, ("out",)) == (5,)


def test_check_gradient_accepts_a_right_gradient_and_rejects_a_wrong_one():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 3))
    x = rng.standard_normal(3)
    check_gradient("dx", lambda v: v @ A @ v, x, (A + A.T) @ x)
    msg = _fails("dx differs from the numerical gradient", check_gradient,
                 "dx", lambda v: v @ A @ v, x, 2 * A @ x)
    assert "at index (" in msg


def test_check_gradient_of_an_array_valued_function_uses_the_upstream_gradient():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((4, 2))
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 2))
    assert check_gradient("dx", lambda v: v @ A, x, dout @ A.T, df=dout) is None
    _fails("numerical gradient", check_gradient, "dx", lambda v: v @ A, x, dout @ A.T + 1e-3, df=dout)


def test_check_gradient_insists_on_float64():
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(ValueError, match="float32.*float64"):
        check_gradient("dx", np.sum, x, np.ones(3))


def test_check_no_loops_names_each_loop_and_its_line(capsys):
    def vectorised(x):
        return np.sum(x * x, axis=1)

    def looping(x):
        total = [np.sum(row) for row in x]
        for value in total:
            while value > 1:
                value /= 2
        return total

    assert check_no_loops(vectorised) is None
    assert capsys.readouterr().out == "OK: vectorised has no Python loop\n"
    msg = _fails("looping must not loop in Python", check_no_loops, looping)
    assert "a list comprehension at line 2, a for loop at line 3, a while loop at line 4" in msg


def test_check_no_loops_without_a_source_leaves_it_to_grading(capsys):
    namespace = {}
    exec("def made_at_run_time(x):\n    return [v for v in x]\n", namespace)
    check_no_loops(namespace["made_at_run_time"])
    assert "not available" in capsys.readouterr().out
