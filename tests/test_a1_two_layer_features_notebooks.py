"""a1/two_layer_net and a1/features run top to bottom in smoke mode on synthetic CIFAR-10: the
solutions without errors and with every public check passing, the releases with
NotImplementedError only (in the cells students fill in and the checks that call them)."""
import nbformat
import pytest
from nbclient import NotebookClient

from dl4cv_grader.manifest import REPO

pytestmark = pytest.mark.slow
NOTEBOOKS = {
    # notebook: (public OK lines of the solution, lines the solution prints at the end,
    #            lines the release prints instead of failing)
    "two_layer_net": (21, ("best validation accuracy:", "test accuracy:"),
                      ("Finish tasks 1 to 7 to train the network.", "No best model yet")),
    "features": (3, ("linear SVM on features, test accuracy:",
                     "two-layer network on features, test accuracy:"),
                 ("Finish task 1 (normalize_features)", "No SVM yet", "No network yet")),
}


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
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.output_type == "stream")
    return nb, errors, text


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_runs_clean_and_passes_public_checks(name, synthetic_data, monkeypatch, tmp_path):
    ok_lines, final_lines, _ = NOTEBOOKS[name]
    nb, errors, text = _run(REPO / "solutions" / "a1" / f"{name}.ipynb", synthetic_data, monkeypatch, tmp_path)
    assert errors == {}, {k: (o.ename, o.evalue) for k, o in errors.items()}
    assert text.count("OK: ") == ok_lines  # every public check printed its OK line
    assert "SYNTHETIC" in text or "synthetic" in text  # the stand-in data is announced
    for line in final_lines:
        assert line in text


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_release_raises_only_not_implemented(name, synthetic_data, monkeypatch, tmp_path):
    _, _, waiting_lines = NOTEBOOKS[name]
    nb, errors, text = _run(REPO / "assignments" / "a1" / f"{name}.ipynb", synthetic_data, monkeypatch, tmp_path)
    kinds = {c.id: c.metadata.get("nbgrader", {}) for c in nb.cells}
    assert errors, "the release should not pass its checks"
    for cell_id, out in errors.items():
        assert out.ename == "NotImplementedError", (cell_id, out.ename, out.evalue)
        assert kinds[cell_id].get("solution") or kinds[cell_id].get("grade"), cell_id
    for line in waiting_lines:
        assert line in text
