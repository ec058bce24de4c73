"""Linear SVM and softmax losses (naive vs vectorized, numerical gradients) and LinearClassifier."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dl4cv.classifiers.linear_classifier import LinearClassifier, LinearSVM, Softmax
from dl4cv.classifiers.linear_svm import svm_loss_naive, svm_loss_vectorized
from dl4cv.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from dl4cv.gradient_check import eval_numerical_gradient, rel_error

PAIRS = [(svm_loss_naive, svm_loss_vectorized), (softmax_loss_naive, softmax_loss_vectorized)]
ALL_LOSSES = [fn for pair in PAIRS for fn in pair]


def _problem(seed, n=8, d=5, c=4, w_scale=0.1):
    rng = np.random.default_rng(seed)
    return (w_scale * rng.standard_normal((d, c)), rng.standard_normal((n, d)),
            rng.integers(c, size=n))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 10), d=st.integers(1, 6), c=st.integers(2, 5),
       seed=st.integers(0, 2**32 - 1), reg=st.sampled_from([0.0, 1e-3, 0.5]))
def test_naive_and_vectorized_agree(n, d, c, seed, reg):
    W, X, y = _problem(seed, n, d, c, w_scale=1.0)
    for naive, vectorized in PAIRS:
        loss_n, dW_n = naive(W, X, y, reg)
        loss_v, dW_v = vectorized(W, X, y, reg)
        assert loss_n == pytest.approx(loss_v, rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(dW_n, dW_v, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss_fn", ALL_LOSSES)
def test_gradient_matches_numerical_gradient_with_regularization(loss_fn):
    W, X, y = _problem(0)
    _, dW = loss_fn(W, X, y, 0.1)
    num = eval_numerical_gradient(lambda w: loss_fn(w, X, y, 0.1)[0], W, verbose=False)
    assert rel_error(dW, num) < 1e-7


@pytest.mark.parametrize("loss_fn", ALL_LOSSES)
def test_regularization_is_reg_times_sum_of_squares(loss_fn):
    W, X, y = _problem(1)
    loss0, dW0 = loss_fn(W, X, y, 0.0)
    loss1, dW1 = loss_fn(W, X, y, 0.3)
    assert loss1 - loss0 == pytest.approx(0.3 * np.sum(W * W))
    np.testing.assert_allclose(dW1 - dW0, 2 * 0.3 * W, atol=1e-12)


def test_losses_at_zero_weights_follow_from_their_definitions():
    _, X, y = _problem(2, c=6)
    W = np.zeros((X.shape[1], 6))
    for fn in PAIRS[0]:  # every margin is exactly 1
        assert fn(W, X, y, 0.0)[0] == pytest.approx(6 - 1)
    for fn in PAIRS[1]:  # every probability is 1/6
        assert fn(W, X, y, 0.0)[0] == pytest.approx(np.log(6))


@pytest.mark.parametrize("loss_fn", [softmax_loss_naive, softmax_loss_vectorized])
def test_softmax_losses_do_not_overflow_for_scores_of_ten_thousand(loss_fn):
    W, X, y = _problem(3, w_scale=1e4)
    loss, dW = loss_fn(W, X, y, 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(dW))
    assert loss == pytest.approx(softmax_loss_vectorized(W, X, y, 0.0)[0])


@pytest.mark.parametrize("loss_fn", ALL_LOSSES)
def test_losses_name_mismatched_shapes(loss_fn):
    W, X, y = _problem(4)
    with pytest.raises(ValueError, match=rf"^{loss_fn.__name__}: .*X of shape \(N, 5\)"):
        loss_fn(W, X[:, :3], y, 0.0)
    with pytest.raises(ValueError, match="reshape"):
        loss_fn(W, X.reshape(8, 5, 1), y, 0.0)


def _separable(seed, n=300, d=10, c=3):
    """Gaussian blobs far apart: a linear classifier can separate them."""
    rng = np.random.default_rng(seed)
    centres = 5 * rng.standard_normal((c, d))
    y = rng.integers(c, size=n)
    return centres[y] + rng.standard_normal((n, d)), y


@pytest.mark.parametrize("cls", [LinearSVM, Softmax])
def test_training_lowers_the_loss_and_classifies_separable_data(cls):
    X, y = _separable(5)
    clf = cls()
    history = clf.train(X, y, learning_rate=1e-2, reg=1e-4, num_iters=200, batch_size=50, rng=0)
    assert len(history) == 200
    assert np.mean(history[-20:]) < np.mean(history[:20])
    pred = clf.predict(X)
    assert pred.shape == y.shape
    assert np.mean(pred == y) > 0.9


def test_training_is_reproducible_with_the_same_rng():
    X, y = _separable(6)
    h1 = Softmax().train(X, y, num_iters=20, rng=np.random.default_rng(3))
    h2 = Softmax().train(X, y, num_iters=20, rng=np.random.default_rng(3))
    h3 = Softmax().train(X, y, num_iters=20, rng=np.random.default_rng(4))
    assert h1 == h2
    assert h1 != h3


def test_a_plugged_in_loss_is_the_one_that_trains():
    X, y = _separable(7)
    calls = []

    def student_loss(W, X_batch, y_batch, reg):
        calls.append(X_batch.shape)
        return svm_loss_vectorized(W, X_batch, y_batch, reg)

    clf = LinearClassifier(loss_fn=student_loss)
    clf.train(X, y, num_iters=5, batch_size=16, rng=0)
    assert calls == [(16, X.shape[1])] * 5


def test_the_base_class_has_no_loss_and_says_what_to_use():
    X, y = _separable(8)
    with pytest.raises(NotImplementedError, match="LinearSVM or Softmax"):
        LinearClassifier().train(X, y, num_iters=1)


def test_a_loss_fn_that_returns_nothing_gets_a_clear_error():
    X, y = _separable(9)
    with pytest.raises(TypeError, match="return loss, dW"):
        LinearClassifier(loss_fn=lambda W, X, y, reg: None).train(X, y, num_iters=1)
    with pytest.raises(ValueError, match="dW must have W's shape"):
        LinearClassifier(loss_fn=lambda W, X, y, reg: (0.0, W.T)).train(X, y, num_iters=1)


def test_predict_before_train_and_bad_inputs_are_explained():
    with pytest.raises(RuntimeError, match="train"):
        LinearSVM().predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="reshape"):
        LinearSVM().train(np.zeros((4, 2, 2)), np.zeros(4, dtype=int))
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        LinearSVM(loss_fn="svm")


def test_integer_images_train_float_weights():
    X, y = _separable(10)
    X = np.clip(X * 10 + 128, 0, 255).astype(np.uint8)
    clf = LinearSVM()
    clf.train(X, y, learning_rate=1e-7, num_iters=3, rng=0)
    assert clf.W.dtype == np.float64 and clf.W.any()
