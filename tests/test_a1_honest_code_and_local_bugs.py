"""Through the real grading path (released notebook, mapping, sandbox, hidden checks):

- honest code written the way students write it scores full marks: IPython magics anywhere
  in a cell, ``from __future__`` imports, type hints, helpers and classes, print, logging,
  warnings and tqdm inside graded functions;
- a bug costs its own task only: the network's loss keeps its points when the student's
  layers raise or are wrong, and a function that changes its input in place loses its own;
- delegating a task to the library's implementation scores 0 with status ``policy``, by
  every route (a reference kept from the cell, importlib, ``sys.modules``, a package's
  attributes; all names built at run time), in three notebooks.
"""
import nbformat
import pytest

from dl4cv_grader import samples
from dl4cv_grader.grade import grade_file

pytestmark = pytest.mark.slow


def grade(tmp_path, notebook, changes, before=None):
    """Grade the reference solution of ``notebook`` with ``changes`` (grade_id -> source);
    ``before``: grade_id -> source of an extra code cell inserted just above that task cell.
    Returns ``(record, task -> (score, max), check id -> row)``."""
    nb = samples.fill(samples.released(notebook), {**samples.reference_sources(notebook), **changes})
    for gid, source in (before or {}).items():
        index = next(i for i, c in enumerate(nb.cells) if c.get("id") == gid)
        nb.cells.insert(index, nbformat.v4.new_code_cell(source, id=f"{gid}-part"))
    path = tmp_path / f"{notebook}.ipynb"
    nbformat.write(nb, path)
    record, _ = grade_file(path, "a1", notebook=notebook)
    tasks = {}
    for row in record["checks"]:
        score, total = tasks.get(row["task"], (0.0, 0.0))
        tasks[row["task"]] = (score + row["score"], total + row["max_score"])
    return record, tasks, {row["check_id"]: row for row in record["checks"]}


def lost(tasks):
    """The tasks that did not get all their points."""
    return {task for task, (score, total) in tasks.items() if score < total}


def test_magics_future_imports_type_hints_logging_and_progress_bars_score_full_marks(tmp_path):
    ref = samples.reference_sources("knn")
    two_loops = ref["knn_two_loops"].replace(
        "def compute_distances_two_loops(self, X):",
        "def compute_distances_two_loops(self, X: np.ndarray) -> np.ndarray:\n"
        "    logging.getLogger('knn').info('two loops over %d test rows', len(X))")
    no_loops = ref["knn_no_loops"].replace(
        "def compute_distances_no_loops(self, X):",
        "def compute_distances_no_loops(self, X: np.ndarray) -> np.ndarray:\n"
        "    %time _ = squares(X)\n"
        "    print('no loops:', X.shape)\n"
        "    warnings.warn('uses O(num_test * num_train) memory')\n"
        "    tqdm.write('computing distances')")
    changes = {
        # A split task: this cell's helpers sit in their own cell above it, and the task's
        # own cell starts with a __future__ import.
        "knn_two_loops": "from __future__ import annotations\n%matplotlib inline\n!ls\n" + two_loops,
        "knn_one_loop": "%%time\n%load_ext autoreload\n%autoreload 2\nfiles = !ls\n" + ref["knn_one_loop"]
                        + "\n%timeit -n 1 -r 1 squares(np.ones((2, 2)))\n",
        "knn_no_loops": "from __future__ import annotations\nimport warnings\nfrom tqdm.auto import tqdm\n\n"
                        + no_loops,
        "knn_predict_labels": "from tqdm.auto import tqdm\n\n" + ref["knn_predict_labels"].replace(
            "for i in range(num_test):", "for i in tqdm(range(num_test), desc='voting', leave=False):"),
    }
    helpers = ("import logging\n\n\n"
               "def squares(A: np.ndarray) -> np.ndarray:\n    \"\"\"(N, D) -> (N,) squared row norms.\"\"\"\n"
               "    return np.sum(A * A, axis=1)\n\n\n"
               "class Timer:\n    \"\"\"Unused, as students leave them.\"\"\"\n\n    seconds: float = 0.0\n")
    record, tasks, rows = grade(tmp_path, "knn", changes, before={"knn_two_loops": helpers})
    assert record["score"] == record["max_score"] > 0, [(r["check_id"], r["message"]) for r in record["checks"]]
    assert record["cell_errors"] == {}
    assert "ipython" not in record["flags"]


def test_a_cell_with_a_future_import_type_hints_a_helper_and_a_class_scores_full_marks(tmp_path):
    vectorized = samples.reference_sources("svm")["svm_loss_vectorized"].replace(
        "def svm_loss_vectorized(W, X, y, reg):",
        "def svm_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float"
        ") -> tuple[float, np.ndarray]:").replace(
        "    margins = np.maximum(0.0, scores - scores[rows, y][:, np.newaxis] + 1.0)",
        "    margins = Hinge(1.0).margins(scores, y)")
    cell = ("from __future__ import annotations\n\nimport logging\n\n\n"
            "def correct_scores(scores: np.ndarray, y: np.ndarray) -> np.ndarray:\n"
            "    return scores[np.arange(len(y)), y][:, np.newaxis]\n\n\n"
            "class Hinge:\n    def __init__(self, delta: float) -> None:\n        self.delta = delta\n\n"
            "    def margins(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:\n"
            "        logging.debug('margins of %s scores', scores.shape)\n"
            "        return np.maximum(0.0, scores - correct_scores(scores, y) + self.delta)\n\n\n"
            + vectorized)
    record, tasks, rows = grade(tmp_path, "svm", {"svm_loss_vectorized": cell})
    assert record["score"] == record["max_score"] > 0, [(r["check_id"], r["message"]) for r in record["checks"]]


def test_the_network_loss_keeps_its_points_when_the_students_layers_raise_or_are_wrong(tmp_path):
    changes = {
        "tln_affine_forward": "def affine_forward(x, w, b):\n    raise NotImplementedError('later')\n",
        "tln_relu_backward": "def relu_backward(dout, cache):\n    return dout\n",  # no mask
    }
    record, tasks, rows = grade(tmp_path, "two_layer_net", changes)
    assert lost(tasks) == {"tln_affine_forward", "tln_relu_backward"}, [
        (r["check_id"], r["message"]) for r in record["checks"] if r["score"] < r["max_score"]]
    assert tasks["tln_net_loss"][0] == tasks["tln_net_loss"][1] > 0


def test_changing_an_input_in_place_costs_that_task_with_a_message(tmp_path):
    changes = {
        "tln_relu_forward": "def relu_forward(x):\n    x[x < 0] = 0\n    return x, x.copy()\n",
        "tln_relu_backward": "def relu_backward(dout, cache):\n    dout[cache <= 0] = 0\n    return dout\n",
    }
    record, tasks, rows = grade(tmp_path, "two_layer_net", changes)
    assert lost(tasks) == {"tln_relu_forward", "tln_relu_backward"}
    assert "relu_forward changed its input x in place" in rows["a1.two_layer_net.relu_forward"]["message"]
    assert "relu_backward changed its input dout in place" in rows["a1.two_layer_net.relu_backward"]["message"]
    assert rows["a1.two_layer_net.relu_forward"]["status"] == "fail"


def test_a_distance_function_that_centres_X_in_place_loses_its_task(tmp_path):
    no_loops = ("def compute_distances_no_loops(self, X):\n"
                "    centre = self.X_train.mean(axis=0)\n    X -= centre\n    train = self.X_train - centre\n"
                "    squared = (np.sum(X * X, axis=1)[:, np.newaxis] + np.sum(train * train, axis=1)[np.newaxis, :]\n"
                "               - 2.0 * X @ train.T)\n    return np.sqrt(np.maximum(squared, 0.0))\n")
    record, tasks, rows = grade(tmp_path, "knn", {"knn_no_loops": no_loops})
    assert lost(tasks) == {"knn_no_loops"}
    assert "compute_distances_no_loops changed its input X in place" in rows["a1.knn.no_loops"]["message"]


# Routes from a graded function to a library object, every name built at run time:
# (code run when the cell runs, expression for the object inside the function).
def _parts(module):
    return repr(module.split("."))


ROUTES = {
    "kept-from-the-cell": lambda m, a: (f"import importlib\n_KEPT = {{'lib': getattr(importlib.import_module("
                                        f"'.'.join({_parts(m)})), ''.join({list(a)!r}))}}\n", "_KEPT['lib']"),
    "importlib-in-the-call": lambda m, a: ("import importlib\n", f"getattr(importlib.import_module('.'.join({_parts(m)})), "
                                           f"''.join({list(a)!r}))"),
    "sys.modules": lambda m, a: (f"import importlib, sys\nimportlib.import_module('.'.join({_parts(m)}))\n",
                                 f"getattr(sys.modules['.'.join({_parts(m)})], ''.join({list(a)!r}))"),
    "package-attributes": lambda m, a: (
        f"import importlib\nimport dl4cv\nimportlib.import_module('.'.join({_parts(m)}))\n",
        "".join("getattr(" for _ in m.split(".")) + "dl4cv"
        + "".join(f", ''.join({list(p)!r}))" for p in m.split(".")[1:] + [a])),
}
# (notebook, task, library module, object, the delegating function with LIB for the object)
DELEGATIONS = [
    ("knn", "knn_predict_labels", "dl4cv.classifiers.k_nearest_neighbor", "KNearestNeighbor",
     "def predict_labels(self, dists, k=1):\n    return LIB.predict_labels(self, dists, k=k)\n"),
    ("svm", "svm_loss_vectorized", "dl4cv.classifiers.linear_svm", "svm_loss_vectorized",
     "def svm_loss_vectorized(W, X, y, reg):\n    return LIB(W, X, y, reg)\n"),
    ("two_layer_net", "tln_relu_forward", "dl4cv.layers", "relu_forward",
     "def relu_forward(x):\n    return LIB(x)\n"),
]


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("notebook, task, module, name, function", DELEGATIONS, ids=[d[1] for d in DELEGATIONS])
def test_delegating_a_task_to_the_library_scores_zero_with_status_policy(tmp_path, route, notebook, task, module,
                                                                          name, function):
    prefix, expression = ROUTES[route](module, name)
    record, tasks, rows = grade(tmp_path, notebook, {task: prefix + "\n" + function.replace("LIB", expression)})
    mine = [r for r in record["checks"] if r["task"] == task]
    assert all(r["status"] == "policy" and r["score"] == 0 for r in mine), [(r["status"], r["message"]) for r in mine]
    assert all("does not allow" in r["message"] or "uses" in r["message"] for r in mine)
    assert lost(tasks) == {task}
