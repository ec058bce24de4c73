"""a1/svm and a1/softmax run top to bottom in smoke mode: the solutions without errors and
with every public check passing, the releases with NotImplementedError only (in the cells
students fill in and the checks that call them), every later cell printing what to finish."""
import pytest

from dl4cv_grader.manifest import REPO
from test_knn_notebook import _run

pytestmark = pytest.mark.slow

# notebook -> (number of public "OK:" lines, lines the finished solution prints)
SOLUTION_OUTPUT = {
    "svm": (9, ("loss on the dev set:", "relative error", "vectorized: loss", "training took",
                 "validation accuracy:", "best validation accuracy:", "test accuracy:")),
    "softmax": (8, ("-log(0.1)", "relative error", "vectorized: loss", "best validation accuracy:",
                     "test accuracy:")),
}
# notebook -> lines the release prints in place of results
RELEASE_OUTPUT = {
    "svm": ("Task 1 is not done yet", "Finish task 1 to run the gradient checks",
            "Finish tasks 1 and 2 to compare", "Finish tasks 2 and 3 to train", "Train the classifier first",
            "Finish task 5 to see the search results", "No best classifier yet"),
    "softmax": ("Task 1 is not done yet", "Finish task 1 to run the gradient checks",
                "Finish tasks 1 and 2 to compare", "Finish task 3 to see the search results",
                "No best classifier yet"),
}


@pytest.mark.parametrize("name", sorted(SOLUTION_OUTPUT))
def test_solution_runs_clean_and_passes_public_checks(name, synthetic_root, monkeypatch, tmp_path):
    nb, errors, text = _run(REPO / "solutions" / "a1" / f"{name}.ipynb", synthetic_root, monkeypatch, tmp_path)
    assert errors == {}, {k: (o.ename, o.evalue) for k, o in errors.items()}
    ok_lines, printed = SOLUTION_OUTPUT[name]
    assert text.count("OK: ") == ok_lines
    for line in printed:
        assert line in text, line


@pytest.mark.parametrize("name", sorted(RELEASE_OUTPUT))
def test_release_raises_only_not_implemented(name, synthetic_root, monkeypatch, tmp_path):
    nb, errors, text = _run(REPO / "assignments" / "a1" / f"{name}.ipynb", synthetic_root, monkeypatch, tmp_path)
    kinds = {c.id: c.metadata.get("nbgrader", {}) for c in nb.cells}
    assert errors, "the release should not pass its checks"
    for cell_id, out in errors.items():
        assert out.ename == "NotImplementedError", (cell_id, out.ename, out.evalue)
        assert kinds[cell_id].get("solution") or kinds[cell_id].get("grade"), cell_id
    for line in RELEASE_OUTPUT[name]:
        assert line in text, line
