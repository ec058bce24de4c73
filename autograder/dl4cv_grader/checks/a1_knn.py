"""Hidden checks for a1/knn.ipynb.

Every check builds its own inputs (other shapes and values than the notebook's public
checks), runs the student's ``KNearestNeighbor`` in the sandbox and compares the plain-data
result with the library's reference ``dl4cv.classifiers.k_nearest_neighbor`` here, on the
trusted side. Messages say what is wrong (shape, how many entries, the largest relative
error) and never the expected values or the inputs.
"""
import numpy as np

from dl4cv.classifiers.k_nearest_neighbor import KNearestNeighbor as Reference
from dl4cv.gradient_check import relative_errors

from dl4cv_grader.checks import check_rng, register
from dl4cv_grader.checks.loops import python_loops
from dl4cv_grader.results import CheckFailed, PolicyViolation

# What the notebook's setup cell gives the graded code.
PRELUDE = "import numpy as np\n"
# Delegating to these would not be the student's own distance or voting code.
FORBIDDEN = ("numpy.linalg.norm", "scipy", "sklearn")
# The library's implementation of every task (see checks/delegation.py).
REFERENCES = {task: ("dl4cv.classifiers.k_nearest_neighbor", "dl4cv.kernels")
              for task in ("knn_two_loops", "knn_one_loop", "knn_no_loops", "knn_predict_labels")}
# Not in the sandbox at all (full isolation): the reference KNearestNeighbor and the distance
# kernels, so no import trick or stashed reference can hand the task to them.
SANDBOX_WITHOUT = ("dl4cv.classifiers.k_nearest_neighbor", "dl4cv.kernels")


def _trained(student, X_train, y_train):
    knn = student.new("KNearestNeighbor")
    knn.call("train", X_train, y_train)
    return knn


def array_or_none(label, got):
    """A student's return value as an ndarray (None stays None); CheckFailed when it cannot be
    one, e.g. a ragged list of rows."""
    if got is None:
        return None
    try:
        return np.asarray(got)
    except (TypeError, ValueError):
        raise CheckFailed(f"{label}: returned a {type(got).__name__} that is not a rectangular "
                          "array; return a NumPy array") from None


def _compare_distances(label, got, want):
    """Raise CheckFailed unless ``got`` matches the reference distances ``want``."""
    got = array_or_none(label, got)
    if got is None or got.dtype == object:
        raise CheckFailed(f"{label}: the function returned {'None' if got is None else 'no array'}; "
                          "return the (num_test, num_train) array of distances")
    if got.shape != want.shape:
        raise CheckFailed(f"{label}: returned shape {got.shape}, expected (num_test, num_train) = "
                          f"{want.shape}")
    if not np.issubdtype(got.dtype, np.number):
        raise CheckFailed(f"{label}: returned an array of {got.dtype}, not numbers")
    got = got.astype(np.float64)
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{label}: {int(np.sum(~np.isfinite(got)))} entries are NaN or inf; "
                          "clip negative squared distances at zero before the square root")
    scale = max(float(np.max(want)), 1e-12)
    errors = np.where(want > 1e-6 * scale, relative_errors(got, want), np.abs(got - want) / scale)
    bad = errors > 1e-6
    if bad.any():
        raise CheckFailed(
            f"{label}: {int(bad.sum())} of {bad.size} entries differ from the correct distances "
            f"(largest relative error {float(errors.max()):.1e}); a distance is the square root of "
            "the sum of squared differences of the two rows")


def _distance_cases(rng):
    """(label, X_train, X_test) cases: odd shapes, one test row, repeated points."""
    X_train = rng.normal(size=(13, 7)) * 40.0
    X_test = rng.normal(size=(9, 7)) * 40.0
    X_test[2] = X_train[5]  # a distance of exactly zero
    return [
        ("9 test rows against 13 training rows", X_train, X_test),
        ("a single test row", rng.uniform(0, 255, size=(6, 48)), rng.uniform(0, 255, size=(1, 48))),
        ("integer pixel data", rng.integers(0, 256, size=(8, 30)).astype(np.float64),
         rng.integers(0, 256, size=(4, 30)).astype(np.float64)),
    ]


def _check_distances(student, method, seed):
    rng = check_rng(seed)
    for label, X_train, X_test in _distance_cases(rng):
        knn = _trained(student, X_train, np.arange(len(X_train)) % 3)
        ref = Reference()
        ref.train(X_train, np.arange(len(X_train)) % 3)
        _compare_distances(f"{method} on {label}", knn.call(method, X_test),
                           ref.compute_distances_two_loops(X_test))


@register("a1.knn.two_loops", points=3, task="knn_two_loops")
def two_loops(student, code):
    """compute_distances_two_loops matches the reference on unseen shapes."""
    _check_distances(student, "compute_distances_two_loops", seed=11)


@register("a1.knn.one_loop", points=3, task="knn_one_loop")
def one_loop(student, code):
    """compute_distances_one_loop matches the reference on unseen shapes."""
    _check_distances(student, "compute_distances_one_loop", seed=12)


@register("a1.knn.no_loops", points=4, task="knn_no_loops")
def no_loops(student, code):
    """compute_distances_no_loops matches the reference on unseen shapes."""
    _check_distances(student, "compute_distances_no_loops", seed=13)


@register("a1.knn.no_loops.vectorised", points=2, task="knn_no_loops")
def no_loops_vectorised(student, code):
    """compute_distances_no_loops has no Python loop, and is correct (else no points)."""
    try:
        loops = python_loops(code.source("knn_no_loops"), "compute_distances_no_loops",
                             also=code.sources.values())
    except (SyntaxError, ValueError):
        raise CheckFailed("compute_distances_no_loops was not found in its task cell") from None
    if loops:
        raise PolicyViolation(f"compute_distances_no_loops must not loop in Python; found: "
                              f"{', '.join(loops)}")
    rng = check_rng(77)
    X_train, X_test = rng.normal(size=(40, 25)), rng.normal(size=(11, 25))
    ref = Reference()
    ref.train(X_train, np.zeros(40, dtype=np.int64))
    got = _trained(student, X_train, np.zeros(40, dtype=np.int64)).call(
        "compute_distances_no_loops", X_test)
    try:
        _compare_distances("compute_distances_no_loops", got, ref.compute_distances_no_loops(X_test))
    except CheckFailed as exc:
        raise CheckFailed(f"loop-free, but the points for vectorising need correct results: {exc}") from None


def _compare_labels(label, got, want):
    got = array_or_none(label, got)
    if got is None or got.shape != want.shape:
        raise CheckFailed(f"{label}: returned {'None' if got is None else f'shape {got.shape}'}, "
                          f"expected one label per test row, shape {want.shape}")
    if not np.issubdtype(got.dtype, np.number):
        raise CheckFailed(f"{label}: returned {got.dtype} values, expected integer labels")
    wrong = int(np.sum(got != want))
    if wrong:
        raise CheckFailed(f"{label}: {wrong} of {want.size} predicted labels are wrong")


def _vote(student, dists, y_train, k, label):
    knn = _trained(student, np.zeros((len(y_train), 1)), y_train)
    ref = Reference()
    ref.train(np.zeros((len(y_train), 1)), y_train)
    _compare_labels(label, knn.call("predict_labels", dists, k=k), ref.predict_labels(dists, k=k))


@register("a1.knn.predict_labels", points=2, task="knn_predict_labels")
def predict_labels(student, code):
    """predict_labels votes correctly for k=1 and k>1, including a single test row."""
    rng = check_rng(5)
    y_train = rng.integers(0, 6, size=31)
    dists = rng.uniform(0.0, 10.0, size=(12, 31))
    _vote(student, dists, y_train, 1, "predict_labels with k=1")
    _vote(student, dists, y_train, 7, "predict_labels with k=7")
    _vote(student, dists[4:5], y_train, 4, "predict_labels on a single test row")


@register("a1.knn.predict_labels.ties", points=2, task="knn_predict_labels")
def predict_labels_ties(student, code):
    """Ties between labels go to the smaller label; k may exceed any label's count."""
    # Labels arranged so the nearest neighbours split their votes evenly.
    y_train = np.array([4, 1, 4, 1, 3, 3, 0, 2, 2, 0])
    order = np.array([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                      [4, 0, 5, 2, 7, 6, 9, 1, 3, 8],
                      [9, 7, 1, 0, 2, 3, 4, 5, 6, 8]])
    dists = np.empty(order.shape)
    for row in range(len(order)):
        dists[row, order[row]] = np.linspace(0.5, 5.0, order.shape[1])
    _vote(student, dists, y_train, 2, "predict_labels with a two-way tie (k=2)")
    _vote(student, dists, y_train, 4, "predict_labels with ties (k=4)")
    _vote(student, dists, y_train, 10, "predict_labels with k equal to the number of training examples")
