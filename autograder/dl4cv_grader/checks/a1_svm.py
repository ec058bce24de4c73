"""Hidden checks for a1/svm.ipynb; the loss checks are shared with a1/softmax.ipynb.

The loss checks call the student's ``(W, X, y, reg) -> (loss, dW)`` in the sandbox on cases
the notebook never shows (odd shapes, a single example, every example in one class, tied
scores, all scores equal) and compare loss and gradient, on the trusted side, with the
library's reference (``dl4cv.classifiers.linear_svm`` / ``.softmax``). ``train`` is graded on
its own, independent of the student's losses: the check builds the notebook's ``LinearSVM``
with a fixed least-squares loss (``PRELUDE``) and compares with the library's
``LinearClassifier`` trained with that same loss. Messages name the output and the kind of
error, never the inputs or the expected values.
"""
import inspect

import numpy as np

from dl4cv.classifiers.linear_classifier import LinearClassifier
from dl4cv.classifiers.linear_svm import svm_loss_vectorized as reference_svm_loss

from dl4cv_grader.checks import check_rng, register
from dl4cv_grader.checks.a1_knn import array_or_none
from dl4cv_grader.checks.a1_two_layer_net import compare, unpack
from dl4cv_grader.checks.loops import python_loops
from dl4cv_grader.results import CheckFailed, PolicyViolation

# The library's implementation of each task (see checks/delegation.py).
_LOSS = ("dl4cv.classifiers.linear_svm", "dl4cv.classifiers.linear_loss", "dl4cv.layers.svm_loss")
REFERENCES = {"svm_loss_naive": _LOSS, "svm_loss_vectorized": _LOSS,
              "svm_train": ("dl4cv.classifiers.linear_classifier",),
              "svm_predict": ("dl4cv.classifiers.linear_classifier",)}
LOSS_HINT = "the data loss is the mean over the examples, plus reg * np.sum(W * W)"
GRAD_HINT = "average the gradient over the examples and add 2 * reg * W"


def _least_squares_loss(W, X, y, reg):
    """A fixed loss for checking train on its own: half the mean squared distance of the
    scores X @ W (N, C) from the one-hot labels, plus reg * sum(W * W). Returns (loss, dW)."""
    diff = X @ W
    diff[np.arange(len(y)), y] -= 1.0
    loss = 0.5 * np.sum(diff * diff) / len(y) + reg * np.sum(W * W)
    return loss, X.T @ diff / len(y) + 2 * reg * W


def _linear_svm_for_checks(W=None):
    """The notebook's LinearSVM with the fixed least-squares loss, holding weights W if given."""
    classifier = LinearSVM(loss_fn=_least_squares_loss)  # noqa: F821 -- defined by the notebook
    classifier.W = None if W is None else np.array(W, dtype=np.float64)
    return classifier


# Run in the sandbox before the notebook's cells: NumPy (as the setup cell imports it) and
# the two helpers above, which the train and predict checks instantiate.
PRELUDE = ("import numpy as np\n\n\n" + inspect.getsource(_least_squares_loss) + "\n\n"
           + inspect.getsource(_linear_svm_for_checks))


def loss_cases(seed):
    """(label, W, X, y, reg) cases for a linear classifier's loss, none of them the notebook's."""
    rng = check_rng(seed)
    # Scores that are multiples of 2.5: many exact ties, but no margin exactly at the hinge.
    tied_W = 2.5 * rng.integers(-2, 3, size=(4, 6)).astype(np.float64)
    tied_X = rng.integers(0, 2, size=(9, 4)).astype(np.float64)
    return [
        ("17 examples, 6 features, 4 classes", rng.normal(size=(6, 4)), 3.0 * rng.normal(size=(17, 6)),
         rng.integers(0, 4, size=17), 0.3),
        ("a single example", rng.normal(size=(9, 5)), rng.normal(size=(1, 9)), np.array([3]), 0.05),
        ("every example in one class", rng.normal(size=(5, 7)), rng.normal(size=(12, 5)),
         np.full(12, 6), 0.0),
        ("tied scores", tied_W, tied_X, rng.integers(0, 6, size=9), 0.01),
        ("all scores equal (W = 0)", np.zeros((8, 3)), rng.normal(size=(10, 8)),
         rng.integers(0, 3, size=10), 0.2),
    ]


def check_loss(student, code, func_name, task, reference, cases, part):
    """Compare the student's ``func_name`` with ``reference`` on ``cases``.

    ``part`` is ``"loss"`` or ``"dW"``: which of the two returned values this check grades.
    ``code`` and ``task`` are not needed any more (the delegation policy runs before every
    check) and are kept for the softmax stability check, which calls this as it is.
    """
    for label, W, X, y, reg in cases:
        got = unpack(func_name, student.call(func_name, W, X, y, reg), ("loss", "dW"))
        want = reference(W, X, y, reg)
        index, hint = (0, LOSS_HINT) if part == "loss" else (1, GRAD_HINT)
        compare(f"{func_name}: {part} on {label}", got[index], want[index], max_rel_error=1e-6, hint=hint)


def check_no_loops(student, code, func_name, task, reference, seed):
    """``func_name`` has no Python loop, and is correct on one case (else no points)."""
    try:
        loops = python_loops(code.source(task), func_name, also=code.sources.values())
    except (SyntaxError, ValueError):
        raise CheckFailed(f"{func_name} was not found in its task cell") from None
    if loops:
        raise PolicyViolation(f"{func_name} must not loop in Python; found: {', '.join(loops)}")
    try:
        check_loss(student, code, func_name, task, reference, loss_cases(seed)[:1], "loss")
        check_loss(student, code, func_name, task, reference, loss_cases(seed)[:1], "dW")
    except CheckFailed as exc:
        raise CheckFailed(f"loop-free, but the points for vectorising need correct results: {exc}") from None


def register_loss_checks(notebook, reference, points, seed):
    """Register ``a1.<notebook>.<variant>.<part>`` for ``points`` = {"naive.loss": 2, ...}:
    ``<notebook>_loss_<variant>``'s loss or dW against ``reference`` on ``loss_cases``."""
    for offset, (key, pts) in enumerate(points.items()):
        variant, part = key.split(".")
        func_name = f"{notebook}_loss_{variant}"

        def check(student, code, func_name=func_name, part=part, case_seed=seed + offset):
            check_loss(student, code, func_name, func_name, reference, loss_cases(case_seed),
                       "loss" if part == "loss" else "dW")

        check.__doc__ = f"{func_name}'s {part} matches the reference on unseen cases and edge cases."
        register(f"a1.{notebook}.{key}", points=pts, task=func_name)(check)


register_loss_checks("svm", reference_svm_loss,
                     {"naive.loss": 2, "naive.grad": 3, "vectorized.loss": 2, "vectorized.grad": 3}, seed=21)


@register("a1.svm.vectorized.no_loops", points=1, task="svm_loss_vectorized")
def vectorized_no_loops(student, code):
    """svm_loss_vectorized has no Python loop (and is correct)."""
    check_no_loops(student, code, "svm_loss_vectorized", "svm_loss_vectorized", reference_svm_loss, 25)


def _train_and_compare(student, X, y, settings, what):
    """Train the notebook's LinearSVM and the library's LinearClassifier (same loss, same
    settings) and compare the loss histories and the final weights."""
    classifier = student.new("_linear_svm_for_checks")
    history = classifier.call("train", X, y, **settings)
    reference = LinearClassifier(loss_fn=_least_squares_loss)
    want_history = reference.train(X, y, **settings)
    if not isinstance(history, (list, tuple)) or len(history) != len(want_history):
        got = f"{len(history)} entries" if isinstance(history, (list, tuple)) else type(history).__name__
        raise CheckFailed(f"train returned {got} for {settings['num_iters']} iterations; return "
                          "loss_history, a list with one loss per iteration")
    compare(f"loss_history ({what})", history, want_history, max_rel_error=1e-8,
            hint="append the loss of each minibatch, in order")
    compare(f"W after training ({what})", classifier.get("W"), reference.W, max_rel_error=1e-8,
            hint="each step is W - learning_rate * dW on one minibatch")


@register("a1.svm.train.step", points=2, task="svm_train")
def train_step(student, code):
    """train takes SGD steps of the right size and direction and records every loss.

    All training rows are the same example, so every minibatch is the same whatever the
    sampling: this grades the update alone.
    """
    rng = check_rng(31)
    X = np.tile(rng.normal(size=(1, 5)), (12, 1))
    y = np.full(12, 2)
    _train_and_compare(student, X, y, dict(learning_rate=0.05, reg=0.1, num_iters=7, batch_size=3, rng=5),
                       "identical training rows")


@register("a1.svm.train.minibatch", points=1, task="svm_train")
def train_minibatch(student, code):
    """train samples each minibatch with rng.integers(num_train, size=batch_size)."""
    rng = check_rng(32)
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 4, size=40)
    try:
        _train_and_compare(student, X, y,
                           dict(learning_rate=0.1, reg=0.01, num_iters=6, batch_size=8, rng=7), "random data")
    except CheckFailed as exc:
        raise CheckFailed(f"{exc}; draw each minibatch with idx = rng.integers(num_train, size=batch_size) "
                          "as the task asks") from None


@register("a1.svm.predict", points=1, task="svm_predict")
def predict(student, code):
    """predict returns the highest-scoring class of each row."""
    rng = check_rng(33)
    for label, W, X in [("13 rows, 5 classes", rng.normal(size=(6, 5)), rng.normal(size=(13, 6))),
                        ("a single row", rng.normal(size=(4, 3)), rng.normal(size=(1, 4)))]:
        reference = LinearClassifier()
        reference.W = W
        want = reference.predict(X)
        got = student.new("_linear_svm_for_checks", W).call("predict", X)
        got = array_or_none(f"predict on {label}", got)
        if got is None or got.shape != want.shape:
            raise CheckFailed(f"predict on {label}: returned {'None' if got is None else f'shape {got.shape}'}; "
                              "return one label per row of X")
        wrong = int(np.sum(got != want))
        if wrong:
            raise CheckFailed(f"predict on {label}: {wrong} of {want.size} labels are wrong; the label is "
                              "the column of X @ W with the highest score")
