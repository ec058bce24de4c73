"""a1/svm and a1/softmax through the real grading path (sandbox runner, hidden checks).

The reference solutions get full marks, the blank releases zero, and each typical student
bug (one per submission, written into the reference solution) loses points in the checks
of its own task and nowhere else.
"""
from pathlib import Path

import pytest

from dl4cv_grader import manifest as manifests, nbhygiene, samples
from dl4cv_grader.grade import grade_file

pytestmark = pytest.mark.slow

# (notebook, task, what the student got wrong, text of the reference answer, replaced by,
#  the checks that must lose points)
BUGS = [
    ("svm", "svm_loss_naive", "no regularization gradient",
     "dW = dW / num_train + 2 * reg * W", "dW = dW / num_train", {"a1.svm.naive.grad"}),
    ("svm", "svm_loss_naive", "sum instead of mean",
     "loss = loss / num_train + reg", "loss = loss + reg", {"a1.svm.naive.loss"}),
    ("svm", "svm_loss_naive", "the correct class is not skipped",
     "            if j == y[i]:\n                continue\n", "", {"a1.svm.naive.loss"}),
    ("svm", "svm_loss_naive", "margin 0 instead of 1",
     "margin = scores[j] - correct_score + 1.0", "margin = scores[j] - correct_score",
     {"a1.svm.naive.loss", "a1.svm.naive.grad"}),
    ("svm", "svm_loss_vectorized", "sum over the wrong axis",
     "-np.sum(coefficients, axis=1)", "-np.sum(coefficients, axis=0)",  # raises: shapes differ
     {"a1.svm.vectorized.loss", "a1.svm.vectorized.grad", "a1.svm.vectorized.no_loops"}),
    ("svm", "svm_loss_vectorized", "margins of the correct classes kept",
     "    margins[rows, y] = 0.0\n", "",
     {"a1.svm.vectorized.loss", "a1.svm.vectorized.grad", "a1.svm.vectorized.no_loops"}),
    ("svm", "svm_loss_vectorized", "no regularization in the loss",
     "loss = np.sum(margins) / num_train + reg * np.sum(W * W)", "loss = np.sum(margins) / num_train",
     {"a1.svm.vectorized.loss", "a1.svm.vectorized.no_loops"}),
    ("svm", "svm_loss_vectorized", "a loop over the examples",
     "    scores = X @ W\n", "    scores = np.array([x @ W for x in X])\n", {"a1.svm.vectorized.no_loops"}),
    ("svm", "svm_loss_vectorized", "delegates to the library",
     "    num_train = X.shape[0]\n", "    from dl4cv.classifiers.linear_svm import svm_loss_vectorized as lib\n"
     "    return lib(W, X, y, reg)\n",
     {"a1.svm.vectorized.loss", "a1.svm.vectorized.grad", "a1.svm.vectorized.no_loops"}),
    ("svm", "svm_train", "steps uphill",
     "self.W - learning_rate * grad", "self.W + learning_rate * grad", {"a1.svm.train.step", "a1.svm.train.minibatch"}),
    ("svm", "svm_train", "the whole training set every step",
     "self.loss(X[idx], y[idx], reg)", "self.loss(X, y, reg)", {"a1.svm.train.minibatch"}),
    ("svm", "svm_train", "no learning rate",
     "self.W - learning_rate * grad", "self.W - grad", {"a1.svm.train.step", "a1.svm.train.minibatch"}),
    ("svm", "svm_train", "np.random instead of rng",
     "rng.integers(num_train, size=batch_size)", "np.random.choice(num_train, batch_size)",
     {"a1.svm.train.minibatch"}),
    ("svm", "svm_predict", "argmax over the examples", "axis=1", "axis=0", {"a1.svm.predict"}),
    ("svm", "svm_predict", "argmin", "np.argmax", "np.argmin", {"a1.svm.predict"}),
    ("svm", "svm_predict", "returns the scores", "np.argmax(X @ self.W, axis=1)", "X @ self.W", {"a1.svm.predict"}),
    ("softmax", "softmax_loss_naive", "scores not shifted",
     "        scores = scores - np.max(scores)\n", "", {"a1.softmax.naive.stable"}),
    ("softmax", "softmax_loss_naive", "no regularization gradient",
     "dW = dW / num_train + 2 * reg * W", "dW = dW / num_train", {"a1.softmax.naive.grad", "a1.softmax.naive.stable"}),
    ("softmax", "softmax_loss_naive", "sum instead of mean",
     "loss = loss / num_train + reg", "loss = loss + reg", {"a1.softmax.naive.loss", "a1.softmax.naive.stable"}),
    ("softmax", "softmax_loss_naive", "the correct class's gradient gets +1",
     "(probs[j] - (1.0 if j == y[i] else 0.0))", "(probs[j] + (1.0 if j == y[i] else 0.0))",
     {"a1.softmax.naive.grad", "a1.softmax.naive.stable"}),
    ("softmax", "softmax_loss_vectorized", "shift by the global maximum",
     "np.max(scores, axis=1, keepdims=True)", "np.max(scores)", {"a1.softmax.vectorized.stable"}),
    ("softmax", "softmax_loss_vectorized", "normalised over the wrong axis",
     "np.sum(np.exp(scores), axis=1)", "np.sum(np.exp(scores), axis=0)",
     {"a1.softmax.vectorized.loss", "a1.softmax.vectorized.grad", "a1.softmax.vectorized.stable",
      "a1.softmax.vectorized.no_loops"}),
    ("softmax", "softmax_loss_vectorized", "no regularization in the loss",
     " + reg * np.sum(W * W)\n    dscores", "\n    dscores",
     {"a1.softmax.vectorized.loss", "a1.softmax.vectorized.stable", "a1.softmax.vectorized.no_loops"}),
    ("softmax", "softmax_loss_vectorized", "a loop over the examples",
     "    scores = X @ W\n", "    scores = np.array([x @ W for x in X])\n", {"a1.softmax.vectorized.no_loops"}),
]


def grade(name, answers, folder):
    """Grade the release of ``name`` with ``answers`` filled in; -> {check id: (score, max, status, message)}."""
    nb = samples.fill(samples.released(name), answers)
    path = Path(folder) / f"{name}.ipynb"
    path.write_text(nbhygiene.dumps(nb), encoding="utf-8")
    record, _ = grade_file(path, "a1", notebook=name)
    return {r["check_id"]: (r["score"], r["max_score"], r["status"], r["message"]) for r in record["checks"]}


@pytest.mark.parametrize("name", ["svm", "softmax"])
def test_reference_gets_full_marks_and_blank_gets_zero(name, tmp_path):
    full = grade(name, samples.reference_sources(name), tmp_path)
    tasks = manifests.load("a1")["notebooks"][name]["tasks"]
    assert set(full) == {c["id"] for task in tasks.values() for c in task["checks"]}
    assert all(score == maximum and status == "pass" for score, maximum, status, _ in full.values()), full
    (tmp_path / "blank").mkdir()
    blank = grade(name, {}, tmp_path / "blank")
    assert all(score == 0 for score, *_ in blank.values()), blank
    assert {status for _, _, status, _ in blank.values()} <= {"error", "fail"}


@pytest.mark.parametrize("name, task, bug, old, new, losing", BUGS, ids=[f"{b[0]}-{b[2]}" for b in BUGS])
def test_a_bug_costs_points_of_its_own_task_only(name, task, bug, old, new, losing, tmp_path):
    answers = samples.reference_sources(name)
    assert old in answers[task], f"the reference answer of {task} no longer contains {old!r}"
    answers[task] = answers[task].replace(old, new, 1)
    result = grade(name, answers, tmp_path)
    lost = {cid for cid, (score, maximum, _, _) in result.items() if score < maximum}
    assert lost == losing, {cid: result[cid] for cid in lost ^ losing}
    tasks = manifests.load("a1")["notebooks"][name]["tasks"]
    assert losing <= {c["id"] for c in tasks[task]["checks"]}
    for cid in losing:
        assert result[cid][3], f"{cid} lost points without a message"
