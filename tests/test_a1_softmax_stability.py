"""The softmax stability checks test what the notebook calls numerically stable.

The notebook defines it as: shift each row of scores by its own maximum before ``np.exp``.
So the form it teaches (shift, normalise, ``-np.log`` of the probability) scores full
marks, as does the log-sum-exp form, while a softmax with no shift, or one shift for the
whole batch, loses the stability points and nothing else.
"""
import numpy as np
import pytest

from dl4cv_grader.checks import salted
from dl4cv_grader.checks.a1_softmax import large_score_cases
from dl4cv_grader import samples
from test_a1_svm_softmax_grading import grade

# The notebook's hint for task 2, written out: probabilities, then -log of the correct one.
TAUGHT_VECTORIZED = '''
def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X @ W
    scores = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(num_train), y])) + reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(num_train), y] -= 1.0
    dW = X.T @ dscores / num_train + 2 * reg * W
    return loss, dW
'''
TAUGHT_NAIVE = '''
def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros(W.shape)
    for i in range(X.shape[0]):
        scores = X[i] @ W
        scores = scores - np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(probs[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    return loss / X.shape[0] + reg * np.sum(W * W), dW / X.shape[0] + 2 * reg * W
'''
ROW_SHIFT = "scores = scores - np.max(scores, axis=1, keepdims=True)"

# (what the student wrote, answers changed from the reference, checks that must lose points)
VARIANTS = [
    ("shift by the row maximum, then normalise (the notebook's form), loop and vectorized",
     {"softmax_loss_naive": TAUGHT_NAIVE, "softmax_loss_vectorized": TAUGHT_VECTORIZED}, set()),
    ("no shift at all", {"softmax_loss_vectorized": TAUGHT_VECTORIZED.replace(ROW_SHIFT, "pass")},
     {"a1.softmax.vectorized.stable"}),
    ("no shift at all, loop version", {"softmax_loss_naive": TAUGHT_NAIVE.replace(
        "scores = scores - np.max(scores)", "pass")}, {"a1.softmax.naive.stable"}),
    # One maximum for the whole batch only protects the row that holds it: a row of scores
    # around -1000 in a batch whose maximum is +1000 is shifted to -2000 and underflows.
    ("shift by one maximum for the whole batch",
     {"softmax_loss_vectorized": TAUGHT_VECTORIZED.replace(ROW_SHIFT, "scores = scores - np.max(scores)")},
     {"a1.softmax.vectorized.stable"}),
    # The row mean is as good as the row maximum for the property the notebook asks for:
    # the result no longer depends on the size of the row's scores, only on their spread.
    ("shift by the row mean", {"softmax_loss_vectorized": TAUGHT_VECTORIZED.replace(
        ROW_SHIFT, "scores = scores - np.mean(scores, axis=1, keepdims=True)")}, set()),
]


@pytest.mark.parametrize("salt", [0, 1, 12345])
def test_large_score_cases_separate_a_shifted_softmax_from_an_unshifted_one(salt):
    with salted(salt):
        cases = large_score_cases(43) + large_score_cases(46)
    signs = set()
    for _, W, X, y, _ in cases:
        scores = X @ W
        assert np.all(np.abs(scores) > 800), "every score is of order 1e3"
        assert np.all(np.ptp(scores, axis=1) < 80), "scores differ by tens within a row"
        signs |= set(np.sign(scores[:, 0]).astype(int))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            unshifted = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs = shifted / shifted.sum(axis=1, keepdims=True)
        assert not np.all(np.isfinite(unshifted) & (unshifted > 0))
        assert np.all(probs[np.arange(len(y)), y] > 1e-40)  # -log(p) of the taught form is accurate
    assert signs == {-1, 1}  # rows around +1000 and around -1000


@pytest.mark.slow
@pytest.mark.parametrize("what, answers, losing", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_stability_points_follow_the_notebooks_definition(what, answers, losing, tmp_path):
    result = grade("softmax", {**samples.reference_sources("softmax"), **answers}, tmp_path)
    lost = {cid for cid, (score, maximum, _, _) in result.items() if score < maximum}
    assert lost == losing, {cid: result[cid] for cid in lost ^ losing}
    for cid in losing:
        assert "shift each row of scores by its own maximum" in result[cid][3]
