"""nbgrader's Validate tells a1 students the truth, and agrees with ``check`` and ``self``.

Real ``nbgrader validate`` (its Python API, as the Validate button and the CLI use it) runs
each released notebook filled with the reference answers (it must pass, with no failure
text: a check cell showing a number, like the ``Out: 0.0`` of a returned error size, reads
as partial credit) and each blank release (it must report the unfinished tasks, and
nothing else). ``dl4cv.submit.check`` and ``dl4cv-grade self`` must give the same verdicts.
"""
import ast
import io
import re

import nbformat
import pytest
from nbconvert.filters import strip_ansi
from nbgrader.validator import Validator
from traitlets.config import Config

import dl4cv.submit
from dl4cv_grader import nbhygiene, samples
from dl4cv_grader.manifest import REPO
from dl4cv_grader.selfgrade import self_grade

NOTEBOOKS = ["knn", "svm", "softmax", "two_layer_net", "features"]
# What a check may end with: the public checks, which return None (nothing shown under the cell).
SILENT_CALLS = {"check_close", "check_gradient", "check_no_loops"}


def _validator():
    config = Config()
    config.Execute.timeout = 900  # a busy machine must not turn into a failed validation
    return Validator(config=config)


def _write(notebook, answers, folder):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.ipynb"
    path.write_text(nbhygiene.dumps(samples.fill(samples.released(notebook), answers)), encoding="utf-8")
    return path


@pytest.fixture
def smoke_env(synthetic_root, monkeypatch):
    monkeypatch.setenv("DL4CV_SMOKE", "1")
    monkeypatch.setenv("DL4CV_DATA_DIR", str(synthetic_root))
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_check_cell_ends_in_a_statement_without_a_value(name):
    nb = nbformat.read(REPO / "solutions" / "a1" / f"{name}.ipynb", as_version=4)
    checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert checks
    for cell in checks:
        last = ast.parse(cell.source).body[-1]
        if isinstance(last, ast.Expr):
            called = last.value.func.id if isinstance(last.value, ast.Call) and isinstance(
                last.value.func, ast.Name) else None
            assert called in SILENT_CALLS, f"{cell.id} ends in an expression with a value: {ast.unparse(last)}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_validate_passes_the_reference_and_agrees_with_check_and_self(name, smoke_env, tmp_path, capsys):
    path = _write(name, samples.reference_sources(name), tmp_path / "reference")
    validator = _validator()
    validator.stream = io.StringIO()
    validator.validate_and_print(str(path))
    text = validator.stream.getvalue()
    assert text.strip() == "Success! Your notebook passes all the tests.", text
    assert dl4cv.submit.check(path) is True, capsys.readouterr().out
    record = self_grade(path, "a1", notebook=name)
    assert record["score"] == record["max_score"] > 0, [(r["check_id"], r["message"]) for r in record["checks"]]


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_validate_reports_only_the_unfinished_tasks_of_the_blank_release(name, smoke_env, tmp_path, capsys):
    path = _write(name, {}, tmp_path / "blank")
    failed = _validator().validate(str(path)).get("failed", [])
    grade_cells = {c.source.strip(): c for c in samples.released(name).cells
                   if c.metadata.get("nbgrader", {}).get("grade")}
    reported = {grade_cells[f["source"]].id: (grade_cells[f["source"]].cell_type, strip_ansi(f["raw_error"]))
                for f in failed}
    assert set(reported) == {c.id for c in grade_cells.values()}  # every task is unfinished
    for cell_id, (cell_type, error) in reported.items():
        if cell_type == "markdown":  # an inline question not answered yet
            assert error == "You did not provide a response.", (cell_id, error)
        else:
            assert set(re.findall(r"\b\w+(?:Error|Exception)\b", error)) == {"NotImplementedError"}, (cell_id, error)
    assert dl4cv.submit.check(path) is False
    assert "unchanged from the release (not attempted)" in capsys.readouterr().out
    record = self_grade(path, "a1", notebook=name)
    assert record["score"] == 0 < record["max_score"]

