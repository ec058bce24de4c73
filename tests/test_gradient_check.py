"""Numerical gradients agree with known derivatives; relative errors behave; x is restored."""
import numpy as np
import pytest

from dl4cv.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
    relative_errors,
)


def _quadratic(a):
    """f(x) = sum(a * x**2), whose gradient is 2 * a * x."""
    return lambda x: np.sum(a * x**2)


def test_numerical_gradient_of_a_quadratic_matches_its_derivative():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    x = rng.standard_normal((3, 4))
    grad = eval_numerical_gradient(_quadratic(a), x, verbose=False)
    assert rel_error(grad, 2 * a * x) < 1e-8


def test_numerical_gradient_restores_x_and_prints_when_verbose(capsys):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(5)
    before = x.copy()
    eval_numerical_gradient(_quadratic(1.0), x, verbose=True)
    np.testing.assert_array_equal(x, before)
    assert len(capsys.readouterr().out.strip().splitlines()) == x.size


def test_numerical_gradient_array_is_the_vector_jacobian_product():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal((2, 4))
    df = rng.standard_normal((2, 3))
    grad = eval_numerical_gradient_array(lambda z: z @ A, x, df)
    assert rel_error(grad, df @ A.T) < 1e-8


def test_rel_error_is_zero_for_equal_arrays_including_zeros_and_symmetric():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.arange(4.0), np.arange(4.0)) == 0.0
    x, y = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    assert rel_error(x, y) == rel_error(y, x) == pytest.approx(1.0 / 5.0)


def test_relative_errors_are_elementwise_and_bounded_by_one():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((2, 6, 2))
    errs = relative_errors(x, y)
    assert errs.shape == (6, 2)
    assert np.all((errs >= 0) & (errs <= 1))
    assert rel_error(x, y) == errs.max()


def test_grad_check_sparse_separates_right_and_wrong_gradients(capsys):
    rng = np.random.default_rng(4)
    a = rng.uniform(1, 2, size=(5, 5))
    x = rng.standard_normal((5, 5))
    good = grad_check_sparse(_quadratic(a), x, 2 * a * x, num_checks=6, rng=0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and all("relative error" in line for line in lines)
    assert good < 1e-7
    bad = grad_check_sparse(_quadratic(a), x, 3 * a * x, num_checks=6, rng=0)
    assert bad > 0.1


def test_grad_check_sparse_is_reproducible_with_the_same_rng(capsys):
    x = np.random.default_rng(5).standard_normal((10, 10))
    grad_check_sparse(_quadratic(1.0), x, 2 * x, num_checks=4, rng=7)
    first = capsys.readouterr().out
    grad_check_sparse(_quadratic(1.0), x, 2 * x, num_checks=4, rng=7)
    assert capsys.readouterr().out == first


def test_grad_check_sparse_rejects_a_gradient_of_the_wrong_shape():
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*shape \(3, 2\)"):
        grad_check_sparse(_quadratic(1.0), x, np.zeros((2, 3)))
