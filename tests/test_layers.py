"""Reference layers: forward definitions, backward passes against numerical gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dl4cv.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from dl4cv.layer_utils import affine_relu_backward, affine_relu_forward
from dl4cv.layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
    svm_loss,
)


def _scores_and_labels(seed, n=6, c=4, scale=1.0):
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((n, c)), rng.integers(c, size=n)


def test_affine_forward_flattens_each_example():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 2, 3))
    w = rng.standard_normal((12, 5))
    b = rng.standard_normal(5)
    out, _ = affine_forward(x, w, b)
    expected = np.array([[x[i].ravel() @ w[:, j] + b[j] for j in range(5)] for i in range(3)])
    assert out.shape == (3, 5)
    assert rel_error(out, expected) < 1e-12


def test_affine_forward_names_the_mismatch():
    with pytest.raises(ValueError, match=r"12 values.*\(10, 5\)"):
        affine_forward(np.zeros((2, 3, 4)), np.zeros((10, 5)), np.zeros(5))


def test_affine_backward_matches_numerical_gradients():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 3))
    w = rng.standard_normal((6, 5))
    b = rng.standard_normal(5)
    dout = rng.standard_normal((4, 5))
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout)) < 1e-8
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout)) < 1e-8
    assert rel_error(db, eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout)) < 1e-8


def test_relu_forward_and_backward():
    rng = np.random.default_rng(2)
    # keep entries away from the kink at 0, where the numerical derivative is not defined
    x = rng.choice([-1, 1], size=(4, 5)) * rng.uniform(0.1, 1.0, size=(4, 5))
    dout = rng.standard_normal((4, 5))
    out, cache = relu_forward(x)
    assert np.all(out >= 0) and np.array_equal(out[x > 0], x[x > 0])
    dx = relu_backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)) < 1e-9


def test_relu_at_exactly_zero_outputs_zero_and_passes_no_gradient():
    # the subgradient convention (CS231n's too): an input of exactly 0 counts as inactive
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.0]])
    out, cache = relu_forward(x)
    np.testing.assert_array_equal(out, [[0, 0, 2], [0, 3, 0]])
    dx = relu_backward(np.full_like(x, 7.0), cache)
    np.testing.assert_array_equal(dx, [[0, 0, 7], [0, 7, 0]])


def test_affine_relu_sandwich_is_affine_then_relu_and_backpropagates():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((4, 6))
    b = rng.standard_normal(6)
    dout = rng.standard_normal((3, 6))
    out, cache = affine_relu_forward(x, w, b)
    assert np.array_equal(out, np.maximum(x @ w + b, 0))
    dx, dw, db = affine_relu_backward(dout, cache)

    def forward(_):  # the check perturbs x, w or b in place; read all three afresh
        return affine_relu_forward(x, w, b)[0]

    for analytic, var in ((dx, x), (dw, w), (db, b)):
        assert rel_error(analytic, eval_numerical_gradient_array(forward, var, dout)) < 1e-7


@pytest.mark.parametrize("loss_fn", [svm_loss, softmax_loss])
def test_loss_gradients_match_numerical_gradients(loss_fn):
    x, y = _scores_and_labels(4)
    loss, dx = loss_fn(x, y)
    assert np.isscalar(loss) or np.ndim(loss) == 0
    num = eval_numerical_gradient(lambda v: loss_fn(v, y)[0], x, verbose=False)
    assert rel_error(dx, num) < 1e-7


def test_svm_loss_matches_its_definition():
    x, y = _scores_and_labels(5, n=5, c=3)
    total = 0.0
    for i in range(5):
        total += sum(max(0.0, x[i, j] - x[i, y[i]] + 1) for j in range(3) if j != y[i])
    assert svm_loss(x, y)[0] == pytest.approx(total / 5)


def test_losses_at_equal_scores_follow_from_their_definitions():
    # all scores equal: every SVM margin is exactly 1, every softmax probability 1/C
    n, c = 7, 5
    x, y = np.zeros((n, c)), np.arange(n) % c
    assert svm_loss(x, y)[0] == pytest.approx(c - 1)
    assert softmax_loss(x, y)[0] == pytest.approx(np.log(c))


def test_softmax_loss_is_stable_for_scores_of_ten_thousand():
    x, y = _scores_and_labels(6, scale=1.0)
    loss, dx = softmax_loss(x, y)
    big_loss, big_dx = softmax_loss(x + 1e4, y)  # a shift changes nothing mathematically
    assert np.isfinite(big_loss) and np.all(np.isfinite(big_dx))
    assert big_loss == pytest.approx(loss, rel=1e-9)
    assert rel_error(big_dx, dx) < 1e-8
    wide, y2 = _scores_and_labels(7, scale=1e4)  # spread of 1e4 between classes
    wide_loss, wide_dx = softmax_loss(wide, y2)
    assert np.isfinite(wide_loss) and np.all(np.isfinite(wide_dx))
    num = eval_numerical_gradient(lambda v: softmax_loss(v, y2)[0], wide, verbose=False)
    assert rel_error(wide_dx, num) < 1e-5


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 8), c=st.integers(2, 6), seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_loss_gradients_sum_to_zero_over_classes(n, c, seed, scale):
    # adding a constant to every score of a row changes neither loss
    x, y = _scores_and_labels(seed, n=n, c=c, scale=scale)
    for loss_fn in (svm_loss, softmax_loss):
        loss, dx = loss_fn(x, y)
        assert loss >= 0
        np.testing.assert_allclose(dx.sum(axis=1), 0, atol=1e-12)


@pytest.mark.parametrize("loss_fn", [svm_loss, softmax_loss])
def test_losses_reject_bad_labels_with_a_clear_message(loss_fn):
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        loss_fn(x, np.array([0, 4, 1]))
    with pytest.raises(TypeError, match="integer"):
        loss_fn(x, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"\(N,\)"):
        loss_fn(x, np.array([0, 1]))
