"""a1/knn runs top to bottom in smoke mode: the solution without errors, the release with
NotImplementedError only (in the cells students fill in and the checks that call them)."""
import nbformat
import pytest
from nbclient import NotebookClient

from dl4cv_grader.manifest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory):
    from dl4cv.data.synthetic import generate

    root = tmp_path_factory.mktemp("data")
    generate("cifar10", root=root, num_train=600, num_test=100)
    return root


def _run(path, data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("DL4CV_SMOKE", "1")
    monkeypatch.setenv("DL4CV_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = {c.id: o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"}
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream")
    return nb, errors, text


def test_solution_runs_clean_and_passes_public_checks(synthetic_data, monkeypatch, tmp_path):
    nb, errors, text = _run(REPO / "solutions" / "a1" / "knn.ipynb", synthetic_data, monkeypatch, tmp_path)
    assert errors == {}, {k: (o.ename, o.evalue) for k, o in errors.items()}
    assert text.count("OK: ") == 6  # every public check printed its OK line
    assert "best k:" in text and "test accuracy with k =" in text


def test_release_raises_only_not_implemented(synthetic_data, monkeypatch, tmp_path):
    nb, errors, text = _run(REPO / "assignments" / "a1" / "knn.ipynb", synthetic_data, monkeypatch, tmp_path)
    kinds = {c.id: c.metadata.get("nbgrader", {}) for c in nb.cells}
    assert errors, "the release should not pass its checks"
    for cell_id, out in errors.items():
        assert out.ename == "NotImplementedError", (cell_id, out.ename, out.evalue)
        assert kinds[cell_id].get("solution") or kinds[cell_id].get("grade"), cell_id
    assert "Finish task 5" in text and "not implemented yet" in text
