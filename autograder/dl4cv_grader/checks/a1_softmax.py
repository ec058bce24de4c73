"""Hidden checks for a1/softmax.ipynb.

The loss checks are those of the SVM notebook (``a1_svm.check_loss``: unseen shapes, a
single example, one class, tied and equal scores), compared with the library's reference
``dl4cv.classifiers.softmax``; the stability checks add scores around 1e4, where an
unshifted ``np.exp`` overflows.
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
    """(label, W, X, y, reg) cases whose scores are around 1e4 in size."""
    rng = check_rng(seed)
    return [
        ("scores around 1e4", 30.0 * rng.normal(size=(10, 4)), 100.0 * rng.normal(size=(7, 10)),
         rng.integers(0, 4, size=7), 0.001),
        ("one example with scores around -1e4", 50.0 * rng.normal(size=(6, 3)) - 400.0,
         np.abs(10.0 * rng.normal(size=(1, 6))), np.array([1]), 0.0),
    ]


register_loss_checks("softmax", reference_softmax_loss,
                     {"naive.loss": 2, "naive.grad": 3, "vectorized.loss": 2, "vectorized.grad": 2}, seed=41)


def _stable(student, code, func_name, seed):
    try:
        for part in ("loss", "dW"):
            check_loss(student, code, func_name, func_name, reference_softmax_loss, large_score_cases(seed), part)
    except CheckFailed as exc:
        raise CheckFailed(f"{exc}; with large scores, shift each row of scores by its maximum before "
                          "np.exp, and take the loss as log(sum(exp(shifted))) - shifted correct score "
                          "rather than the log of a probability that can round to 0") from None


@register("a1.softmax.naive.stable", points=1, task="softmax_loss_naive")
def naive_stable(student, code):
    """softmax_loss_naive stays finite and correct for scores around 1e4."""
    _stable(student, code, "softmax_loss_naive", 43)


@register("a1.softmax.vectorized.stable", points=1, task="softmax_loss_vectorized")
def vectorized_stable(student, code):
    """softmax_loss_vectorized stays finite and correct for scores around 1e4."""
    _stable(student, code, "softmax_loss_vectorized", 46)


@register("a1.softmax.vectorized.no_loops", points=1, task="softmax_loss_vectorized")
def vectorized_no_loops(student, code):
    """softmax_loss_vectorized has no Python loop (and is correct)."""
    check_no_loops(student, code, "softmax_loss_vectorized", "softmax_loss_vectorized",
                   reference_softmax_loss, 47)
