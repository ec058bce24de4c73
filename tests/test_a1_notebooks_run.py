"""Every a1 notebook runs top to bottom in smoke mode on synthetic CIFAR-10: the solution without
errors and with every public check printing its OK line, the release with NotImplementedError
only (in the cells students fill in and the checks that call them), each later cell printing
what to finish instead of failing."""
import nbformat
import pytest
from nbclient import NotebookClient

from dl4cv_grader.manifest import REPO

pytestmark = pytest.mark.slow

# notebook: (public OK lines of the solution, lines the solution prints,
#            lines the release prints in place of results)
NOTEBOOKS = {
    "knn": (7, ("best k:", "test accuracy with k ="),
            ("Task 1 is not done yet", "finish tasks 1 and 2 to see the accuracy",
             "not implemented yet", "Finish task 5 (cross-validation)", "No best k yet")),
    "svm": (11, ("loss on the dev set:", "relative error", "vectorized: loss", "training took",
                "validation accuracy:", "best validation accuracy:", "test accuracy:"),
            ("Task 1 is not done yet", "Finish task 1 to run the gradient checks",
             "Finish tasks 1 and 2 to compare", "Finish tasks 2 and 3 to train",
             "Train the classifier first", "Finish task 5 to see the search results",
             "No best classifier yet")),
    "softmax": (11, ("-log(0.1)", "relative error", "vectorized: loss", "best validation accuracy:",
                    "test accuracy:"),
                ("Task 1 is not done yet", "Finish task 1 to run the gradient checks",
                 "Finish tasks 1 and 2 to compare", "Finish task 3 to see the search results",
                 "No best classifier yet")),
    "two_layer_net": (23, ("best validation accuracy:", "test accuracy:"),
                      ("Finish tasks 1 to 7 to train the network.", "No best model yet")),
    "features": (3, ("linear SVM on features, test accuracy:",
                     "two-layer network on features, test accuracy:"),
                 ("Finish task 1 (normalize_features)", "No SVM yet", "No network yet")),
}


def _run(path, data_dir, monkeypatch, tmp_path):
    """Execute the notebook at ``path`` in a real kernel; returns (nb, errors by cell id, stdout)."""
    monkeypatch.setenv("DL4CV_SMOKE", "1")
    monkeypatch.setenv("DL4CV_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = {c.id: o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"}
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.output_type == "stream")
    return nb, errors, text


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_runs_clean_and_passes_public_checks(name, synthetic_root, monkeypatch, tmp_path):
    ok_lines, printed, _ = NOTEBOOKS[name]
    nb, errors, text = _run(REPO / "solutions" / "a1" / f"{name}.ipynb", synthetic_root, monkeypatch, tmp_path)
    assert errors == {}, {k: (o.ename, o.evalue) for k, o in errors.items()}
    assert text.count("OK: ") == ok_lines  # every public check printed its OK line
    assert "SYNTHETIC" in text  # the stand-in data is announced
    for line in printed:
        assert line in text, line


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_release_raises_only_not_implemented(name, synthetic_root, monkeypatch, tmp_path):
    _, _, waiting = NOTEBOOKS[name]
    nb, errors, text = _run(REPO / "assignments" / "a1" / f"{name}.ipynb", synthetic_root, monkeypatch, tmp_path)
    kinds = {c.id: c.metadata.get("nbgrader", {}) for c in nb.cells}
    assert errors, "the release should not pass its checks"
    for cell_id, out in errors.items():
        assert out.ename == "NotImplementedError", (cell_id, out.ename, out.evalue)
        assert kinds[cell_id].get("solution") or kinds[cell_id].get("grade"), cell_id
    for line in waiting:
        assert line in text, line
