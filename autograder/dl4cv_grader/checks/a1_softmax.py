"""Hidden checks for a1/softmax.ipynb.

The loss checks are those of the SVM notebook (``a1_svm.check_loss``: unseen shapes, a
single example, one class, tied and equal scores), compared with the library's reference
``dl4cv.classifiers.softmax``. The stability checks test what the notebook calls
numerically stable: each row of scores shifted by its maximum before ``np.exp``. Their scores
are of order +-1e3 (an unshifted ``np.exp`` gives inf or 0, so the loss is NaN), with row
offsets of both signs in one batch (a shift by one constant for the whole batch leaves some
rows at -2e3), but within a row they differ by a few tens, so the shifted-then-normalised
probabilities stay far from 0 and the log-sum-exp form is not needed.
"""
import numpy as np

from dl4cv.classifiers.softmax import softmax_loss_vectorized as reference_softmax_loss

from dl4cv_grader.checks import check_rng, register
from dl4cv_grader.checks.a1_svm import check_loss, check_no_loops, register_loss_checks
from dl4cv_grader.results import CheckFailed

PRELUDE = "import numpy as np\n"
# The library's implementation of each task (see checks/delegation.py).
_LOSS = ("dl4cv.classifiers.softmax", "dl4cv.classifiers.linear_loss", "dl4cv.layers.softmax_loss")
REFERENCES = {"softmax_loss_naive": _LOSS, "softmax_loss_vectorized": _LOSS}


def large_score_cases(seed):
    """(label, W, X, y, reg) cases whose scores are about 1000 or -1000 and differ by a few
    tens within a row: the first feature of each example is its row offset (weight 1 for
    every class), the other features spread the scores."""
    rng = check_rng(seed)
    cases = []
    for label, signs, num_classes, reg in (("scores around +-1e3", np.array([1, -1, 1, 1, -1, -1, 1]), 4, 0.05),
                                           ("one example with scores around 1e3", np.array([1]), 3, 0.0)):
        offsets = signs * rng.uniform(900.0, 1100.0, size=len(signs))
        X = np.hstack([offsets[:, np.newaxis], 3.0 * rng.normal(size=(len(signs), 5))])
        W = np.vstack([np.ones((1, num_classes)), rng.normal(size=(5, num_classes))])
        cases.append((label, W, X, rng.integers(0, num_classes, size=len(signs)), reg))
    return cases


register_loss_checks("softmax", reference_softmax_loss,
                     {"naive.loss": 2, "naive.grad": 3, "vectorized.loss": 2, "vectorized.grad": 2}, seed=41)


def _stable(student, code, func_name, seed):
    try:
        for part in ("loss", "dW"):
            check_loss(student, code, func_name, func_name, reference_softmax_loss, large_score_cases(seed), part)
    except CheckFailed as exc:
        raise CheckFailed(f"{exc}; with scores in the thousands, shift each row of scores by its own "
                          "maximum before np.exp (np.exp(1000.0) is inf and np.exp(-1000.0) is 0)") from None


@register("a1.softmax.naive.stable", points=1, task="softmax_loss_naive")
def naive_stable(student, code):
    """softmax_loss_naive stays finite and correct for scores around +-1e3."""
    _stable(student, code, "softmax_loss_naive", 43)


@register("a1.softmax.vectorized.stable", points=1, task="softmax_loss_vectorized")
def vectorized_stable(student, code):
    """softmax_loss_vectorized stays finite and correct for scores around +-1e3."""
    _stable(student, code, "softmax_loss_vectorized", 46)


@register("a1.softmax.vectorized.no_loops", points=1, task="softmax_loss_vectorized")
def vectorized_no_loops(student, code):
    """softmax_loss_vectorized has no Python loop (and is correct)."""
    check_no_loops(student, code, "softmax_loss_vectorized", "softmax_loss_vectorized",
                   reference_softmax_loss, 47)
