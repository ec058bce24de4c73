"""Grading a1/knn, a1/two_layer_net and a1/features through the real path (manifest, mapping, sandbox
runner, hidden checks): reference solutions get full marks, blank releases zero, and each
typical student bug, one per submission, loses points in its own task and nowhere else."""
import nbformat
import pytest

from dl4cv_grader import manifest as manifests, samples
from dl4cv_grader.grade import grade_file

pytestmark = pytest.mark.slow

# (notebook, task grade_id, what the student got wrong, [(reference text, buggy text), ...])
BUGS = [
    ("knn", "knn_two_loops", "squared distances (no square root)",
     [("np.sqrt(np.sum(diff * diff))", "np.sum(diff * diff)")]),
    ("knn", "knn_two_loops", "L1 instead of L2 distance",
     [("np.sqrt(np.sum(diff * diff))", "np.sum(np.abs(diff))")]),
    ("knn", "knn_two_loops", "the test index used for the training row",
     [("diff = X[i] - self.X_train[j]", "diff = X[i] - self.X_train[i]")]),
    ("knn", "knn_two_loops", "np.linalg.norm (banned)",
     [("np.sqrt(np.sum(diff * diff))", "np.linalg.norm(diff)")]),
    ("knn", "knn_two_loops", "a ragged list of rows returned",
     [("    return dists", "    return [list(row) for row in dists[:-1]] + [[0.0]]")]),
    ("knn", "knn_predict_labels", "the k farthest neighbours vote",
     [('kind="stable")[:k]', 'kind="stable")[-k:]')]),
    ("knn", "knn_predict_labels", "k ignored: only the nearest neighbour",
     [('kind="stable")[:k]', 'kind="stable")[:1]')]),
    ("knn", "knn_predict_labels", "ties go to the larger label",
     [("y_pred[i] = np.argmax(np.bincount(self.y_train[nearest]))",
       "counts = np.bincount(self.y_train[nearest])\n"
       "        y_pred[i] = len(counts) - 1 - np.argmax(counts[::-1])")]),
    ("knn", "knn_predict_labels", "votes counted over training indices, not labels",
     [("np.bincount(self.y_train[nearest])", "np.bincount(nearest)")]),
    ("knn", "knn_one_loop", "summed over the wrong axis",
     [("np.sum(diff * diff, axis=1)", "np.sum(diff * diff, axis=0)")]),
    ("knn", "knn_one_loop", "squared distances (no square root)",
     [("np.sqrt(np.sum(diff * diff, axis=1))", "np.sum(diff * diff, axis=1)")]),
    ("knn", "knn_one_loop", "L1 instead of L2 distance",
     [("np.sqrt(np.sum(diff * diff, axis=1))", "np.sum(np.abs(diff), axis=1)")]),
    ("knn", "knn_no_loops", "cross term without its factor 2",
     [("- 2.0 * X @ self.X_train.T", "- X @ self.X_train.T")]),
    ("knn", "knn_no_loops", "a Python loop over the test rows",
     [("2.0 * X @ self.X_train.T", "2.0 * np.array([x @ self.X_train.T for x in X])")]),
    ("knn", "knn_no_loops", "training norms added along the wrong axis",
     [("[np.newaxis, :]\n", "[:, np.newaxis]\n")]),
    ("knn", "knn_no_loops", "np.linalg.norm with broadcasting (banned)",
     [("dists = np.sqrt(np.maximum(squared, 0.0))",
       "dists = np.linalg.norm(X[:, np.newaxis, :] - self.X_train[np.newaxis, :, :], axis=2)")]),
    ("two_layer_net", "tln_affine_forward", "no reshape of 4-d input",
     [("x.reshape(x.shape[0], -1) @ w + b", "x @ w + b")]),
    ("two_layer_net", "tln_affine_forward", "bias forgotten",
     [("x.reshape(x.shape[0], -1) @ w + b", "x.reshape(x.shape[0], -1) @ w")]),
    ("two_layer_net", "tln_affine_forward", "reshape in the wrong order",
     [("x.reshape(x.shape[0], -1) @ w + b", "x.reshape(-1, x.shape[0]).T @ w + b")]),
    ("two_layer_net", "tln_affine_backward", "db summed over the wrong axis",
     [("db = np.sum(dout, axis=0)", "db = np.sum(dout, axis=1)")]),
    ("two_layer_net", "tln_affine_backward", "dx not reshaped to the input's shape",
     [("dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T")]),
    ("two_layer_net", "tln_affine_backward", "dw divided by N",
     [("dw = x.reshape(x.shape[0], -1).T @ dout", "dw = x.reshape(x.shape[0], -1).T @ dout / x.shape[0]")]),
    ("two_layer_net", "tln_relu_forward", "returns the mask instead of the values",
     [("out = np.maximum(0, x)", "out = (x > 0) * 1.0")]),
    ("two_layer_net", "tln_relu_forward", "flattens the input",
     [("out = np.maximum(0, x)", "out = np.maximum(0, x.reshape(x.shape[0], -1))")]),
    ("two_layer_net", "tln_relu_forward", "leaky slope for negative inputs",
     [("out = np.maximum(0, x)", "out = np.maximum(0, x) + 0.01 * np.minimum(0, x)")]),
    ("two_layer_net", "tln_relu_backward", "gradient passed at x == 0",
     [("dx = dout * (x > 0)", "dx = dout * (x >= 0)")]),
    ("two_layer_net", "tln_relu_backward", "mask of the output with the wrong inequality",
     [("dx = dout * (x > 0)", "dx = dout * (np.maximum(0, x) >= 0)")]),
    ("two_layer_net", "tln_relu_backward", "returns the mask without dout",
     [("dx = dout * (x > 0)", "dx = (x > 0) * 1.0")]),
    ("two_layer_net", "tln_svm_loss", "loss not divided by N",
     [("loss = np.sum(margins) / num_train", "loss = np.sum(margins)")]),
    ("two_layer_net", "tln_svm_loss", "the correct class counted as a margin",
     [("\n    margins[rows, y] = 0.0", "")]),
    ("two_layer_net", "tln_svm_loss", "gradient not divided by N",
     [("dx[rows, y] = -np.sum(dx, axis=1)\n    dx /= num_train", "dx[rows, y] = -np.sum(dx, axis=1)")]),
    ("two_layer_net", "tln_softmax_loss", "no shift by the row maximum",
     [("shifted = x - np.max(x, axis=1, keepdims=True)", "shifted = x")]),
    ("two_layer_net", "tln_softmax_loss", "loss not divided by N",
     [("loss = -np.sum(log_probs[rows, y]) / num_train", "loss = -np.sum(log_probs[rows, y])")]),
    ("two_layer_net", "tln_softmax_loss", "gradient misses the -1 at the correct class",
     [("\n    dx[rows, y] -= 1.0", "")]),
    ("two_layer_net", "tln_net_loss", "no ReLU between the layers",
     [("activations, relu_cache = relu_forward(hidden)", "activations, relu_cache = hidden, hidden"),
      ("dhidden = relu_backward(dactivations, relu_cache)", "dhidden = dactivations")]),
    ("two_layer_net", "tln_net_loss", "regularization without the 0.5",
     [("loss = data_loss + 0.5 * self.reg", "loss = data_loss + self.reg")]),
    ("two_layer_net", "tln_net_loss", "regularization missing from the gradients",
     [('\n    grads["W1"] += self.reg * W1\n    grads["W2"] += self.reg * W2', "")]),
    ("two_layer_net", "tln_net_loss", "delegates to the library's layers",
     [("data_loss, dscores = softmax_loss(scores, y)",
       "from dl4cv.layers import softmax_loss as library_softmax\n"
       "    data_loss, dscores = library_softmax(scores, y)")]),
    ("features", "feat_normalize", "each set standardised with its own mean",
     [("scaled = (feats - mean) / std", "scaled = (feats - feats.mean(axis=0)) / std")]),
    ("features", "feat_normalize", "no bias column",
     [("return np.hstack([scaled, np.ones((feats.shape[0], 1))])", "return scaled")]),
    ("features", "feat_normalize", "division by a zero standard deviation",
     [("\n    std[std == 0] = 1.0", "")]),
]


def write_submission(folder, notebook, sources):
    """The released notebook with the solution cells in ``sources`` filled in; returns its path."""
    nb = samples.fill(samples.released(notebook), sources)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.ipynb"
    nbformat.write(nb, path)
    return path


def bugged(sources, task, replacements):
    """``sources`` with the reference text of ``task`` replaced, each replacement exactly once."""
    text = sources[task]
    for old, new in replacements:
        assert text.count(old) == 1, f"{task}: {old!r} is not in the reference exactly once"
        text = text.replace(old, new)
    compile(text, task, "exec")  # a bug, not a syntax error
    return {**sources, task: text}


def task_scores(record):
    """task grade_id -> (score, max score) summed over its checks."""
    out = {}
    for row in record["checks"]:
        score, total = out.get(row["task"], (0.0, 0.0))
        out[row["task"]] = (score + row["score"], total + row["max_score"])
    return out


def _grade(path, notebook):
    record, _ = grade_file(path, "a1", notebook=notebook)
    return record


@pytest.mark.parametrize("notebook", ["knn", "two_layer_net", "features"])
def test_reference_gets_full_marks_and_blank_gets_zero(notebook, tmp_path):
    tasks = manifests.load("a1")["notebooks"][notebook]["tasks"]
    full = _grade(write_submission(tmp_path / "ref", notebook, samples.reference_sources(notebook)), notebook)
    assert full["score"] == full["max_score"] > 0, [(r["check_id"], r["message"]) for r in full["checks"]]
    assert {r["task"] for r in full["checks"]} == set(tasks)
    blank = _grade(write_submission(tmp_path / "blank", notebook, {}), notebook)
    assert blank["score"] == 0 and blank["max_score"] == full["max_score"]
    assert all(r["status"] in ("error", "fail") and r["message"] for r in blank["checks"])


@pytest.mark.parametrize("notebook, task, bug, replacements", BUGS, ids=[f"{t}: {b}" for _, t, b, _ in BUGS])
def test_a_bug_costs_points_in_its_own_task_only(notebook, task, bug, replacements, tmp_path):
    sources = bugged(samples.reference_sources(notebook), task, replacements)
    record = _grade(write_submission(tmp_path, notebook, sources), notebook)
    scores = task_scores(record)
    assert scores[task][0] < scores[task][1], f"{bug}: task {task} kept all its points"
    others = {t: s for t, s in scores.items() if t != task and s[0] != s[1]}
    assert others == {}, f"{bug}: other tasks lost points: {others}"
    lost = [r for r in record["checks"] if r["task"] == task and r["score"] < r["max_score"]]
    assert all(r["message"] and "internal error" not in r["message"] for r in lost)  # told what failed
