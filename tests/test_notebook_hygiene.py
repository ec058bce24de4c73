"""Every notebook under solutions/ and assignments/ is clean (see dl4cv_grader.nbhygiene)."""
import nbformat
import pytest

from dl4cv_grader import nbhygiene
from dl4cv_grader.manifest import REPO

NOTEBOOKS = nbhygiene.notebooks_under(REPO / "solutions", REPO / "assignments")


def test_there_are_notebooks():
    assert any(p.parent.name == "a1" and p.name == "knn.ipynb" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_is_clean(path):
    assert nbhygiene.problems(path) == [], "run `dl4cv-grade hygiene --fix`"
    nbformat.validate(nbformat.read(path, as_version=4))


def test_normalise_strips_outputs_and_personal_metadata_and_is_stable():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", execution_count=4, outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="hi")], metadata={"collapsed": True}),
        nbformat.v4.new_markdown_cell("# same"),
        nbformat.v4.new_markdown_cell("# same"),
    ])
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "a.b c", "solution": True}
    nb.metadata["colab"] = {"provenance": []}
    clean = nbhygiene.normalise(nb)
    assert clean.cells[0].outputs == [] and clean.cells[0].execution_count is None
    assert set(clean.cells[0].metadata) == {"nbgrader"}
    assert [c.id for c in clean.cells][0] == "a-b-c"
    assert clean.cells[2].id == clean.cells[1].id + "-2"
    assert set(clean.metadata) == {"kernelspec", "language_info"}
    assert nbhygiene.dumps(nbhygiene.normalise(clean)) == nbhygiene.dumps(clean)


def test_problems_reports_a_dirty_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", execution_count=1)])
    nb.metadata["widgets"] = {}
    path = tmp_path / "dirty.ipynb"
    nbformat.write(nb, path)
    found = " ".join(nbhygiene.problems(path))
    assert "execution count" in found and "widgets" in found and "id" in found
    assert nbhygiene.normalise_file(path) and nbhygiene.problems(path) == []
