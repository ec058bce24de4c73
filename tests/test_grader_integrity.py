"""Integrity flags: every kind of tampering gets its named flag, honest notebooks get none.

The static parts (``integrity.notebook_flags``, ``folder_flags``, ``scan``) are tested on
the released notebooks and on tampered copies of them; honest notebooks that really ran are
executed with nbclient, and the released and reference notebooks are graded for real
(slow), since a run can add flags too.
"""
import copy
import json
import os

import nbformat
import numpy as np
import pytest

from dl4cv_grader import integrity, manifest as manifests, nbhygiene, samples
from dl4cv_grader.grade import grade_file

A1 = manifests.load("a1")
NOTEBOOKS = list(A1["notebooks"])


def _honest(notebook="knn", kind="reference"):
    """The released notebook (filled with the reference solution) as a JSON dict."""
    nb = samples.released(notebook)
    if kind == "reference":
        samples.fill(nb, samples.reference_sources(notebook))
    return json.loads(nbhygiene.dumps(nb))


def _flags(raw, notebook="knn"):
    return sorted(flag for flag, _ in integrity.notebook_flags(raw, A1["notebooks"][notebook],
                                                               samples.released(notebook)))


def _cell(raw, cell_id):
    return next(c for c in raw["cells"] if c.get("id") == cell_id)


def _stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


# --- honest notebooks ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["release", "reference"])
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_released_and_reference_notebooks_have_no_static_flag(notebook, kind):
    raw = _honest(notebook, kind)
    assert _flags(raw, notebook) == []
    code = samples.reference_sources(notebook) if kind == "reference" else {}
    tasks = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in raw["cells"]
             if c["metadata"].get("nbgrader", {}).get("grade_id") in A1["notebooks"][notebook]["tasks"]}
    assert {gid: integrity.scan(code.get(gid, src)) for gid, src in tasks.items()} == {gid: [] for gid in tasks}


def test_docstrings_and_variables_named_score_are_not_flagged():
    # Every svm and two_layer_net notebook used to be flagged for the word "score".
    source = ('def svm_loss_naive(W, X, y, reg):\n    """Returns the score of the correct class."""\n'
              '    scores = X @ W\n    print("scores", scores.shape, "grade", 3)\n    return scores\n')
    assert integrity.scan(source) == []


def _scratch_and_reordered(raw):
    raw["cells"].insert(3, {"cell_type": "code", "id": "scratch-1", "metadata": {}, "execution_count": None,
                            "outputs": [], "source": "x = np.arange(3)\nprint(x.sum())\n"})
    raw["cells"].insert(4, {"cell_type": "markdown", "id": "note-1", "metadata": {}, "source": "my notes"})
    raw["cells"].append(raw["cells"].pop(3))  # a scratch cell moved to the end
    copy_of_task = copy.deepcopy(_cell(raw, "knn_two_loops"))  # a copied cell keeps its metadata
    copy_of_task["id"] = "copied-1"
    raw["cells"].append(copy_of_task)
    return raw


def _cleared(raw):
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return raw


def _colab(raw):
    raw["nbformat_minor"] = 4
    raw["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    raw["metadata"]["language_info"] = {"name": "python"}
    for cell in raw["cells"]:
        cell.pop("id", None)
        cell["metadata"] = {"colab": {"id": "x"}}
    return raw


def _own_kernel(raw):
    raw["metadata"]["kernelspec"] = {"name": "conda-env-dl4cv-py", "display_name": "Python [conda env:dl4cv]",
                                     "language": "python"}
    return raw


def _running_while_saved(raw):  # saved while a cell was still printing: no count yet
    cell = _cell(raw, "knn_two_loops_check")
    cell["execution_count"], cell["outputs"] = None, [_stream("OK: dists matches expected (max relative "
                                                              "error 0.0e+00)\n")]
    return raw


def _solution_to_markdown(raw):  # a slip of the "m" key: graded as code, noted by the mapping
    cell = _cell(raw, "knn_no_loops")
    cell["cell_type"], cell["metadata"] = "markdown", {}
    del cell["outputs"], cell["execution_count"]
    return raw


@pytest.mark.parametrize("change", [_scratch_and_reordered, _cleared, _colab, _own_kernel, _running_while_saved,
                                    _solution_to_markdown])
def test_honest_but_unusual_notebooks_have_no_flag(change):
    assert _flags(change(_honest())) == []


def _execute(nb, order=None, path="."):
    """Run ``nb``'s code cells (all, or the indices in ``order``) in one real kernel."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path)}})
    with client.setup_kernel():
        for index in order if order is not None else range(len(nb.cells)):
            if nb.cells[index].cell_type == "code":
                client.execute_cell(nb.cells[index], index)
    return nb


@pytest.fixture
def smoke_env(synthetic_root, monkeypatch):
    monkeypatch.setenv("DL4CV_SMOKE", "1")
    monkeypatch.setenv("DL4CV_DATA_DIR", str(synthetic_root))
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["release", "reference"])
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebooks_that_really_ran_have_no_flag(notebook, kind, smoke_env, tmp_path):
    nb = nbformat.from_dict(_honest(notebook, kind))
    raw = json.loads(nbformat.writes(_execute(nb, path=tmp_path)))
    assert any(c.get("outputs") for c in raw["cells"])
    assert _flags(raw, notebook) == []


@pytest.mark.slow
def test_a_notebook_run_out_of_order_and_across_a_restart_has_no_flag(smoke_env, tmp_path):
    nb = nbformat.from_dict(_honest())
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    _execute(nb, path=tmp_path)  # first session: top to bottom
    _execute(nb, order=code[:3] + code[-4:] + code[3:6], path=tmp_path)  # a new kernel, out of order
    raw = json.loads(nbformat.writes(nb))
    counts = [c["execution_count"] for c in raw["cells"] if c["cell_type"] == "code" and c["execution_count"]]
    assert len(set(counts)) < len(counts)  # counts repeat across the two sessions
    assert _flags(raw) == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["release", "reference"])
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_grading_released_and_reference_notebooks_raises_no_flag(notebook, kind, tmp_path):
    folder = tmp_path / "course" / "submitted" / "s1" / "a1"
    folder.mkdir(parents=True)
    (folder / f"{notebook}.ipynb").write_text(json.dumps(_honest(notebook, kind)), encoding="utf-8")
    (folder / "timestamp.txt").write_text("2025-10-01 12:00:00\n")
    record, _ = grade_file(folder / f"{notebook}.ipynb", "a1", student="s1")
    assert (record["flags"], record["flag_notes"]) == ([], [])
    if kind == "reference":
        assert record["score"] == record["max_score"]


# --- tampering ----------------------------------------------------------------------

def _points(raw):
    _cell(raw, "knn_two_loops_check")["metadata"]["nbgrader"]["points"] = 100


def _points_on_an_answer(raw):
    _cell(raw, "knn_q1")["metadata"]["nbgrader"]["points"] = 0


def _not_graded(raw):
    _cell(raw, "knn_no_loops_check")["metadata"]["nbgrader"]["grade"] = False


def _unlocked(raw):
    _cell(raw, "knn_one_loop_check")["metadata"]["nbgrader"]["locked"] = False


def _renamed_grade_id(raw):
    _cell(raw, "knn_one_loop_check")["metadata"]["nbgrader"]["grade_id"] = "knn_two_loops_check"


def _invented_grade_id(raw):
    raw["cells"].append({"cell_type": "code", "id": "bonus", "execution_count": None, "outputs": [],
                         "source": "pass", "metadata": {"nbgrader": {"grade": True, "grade_id": "bonus",
                                                                     "points": 50, "solution": False}}})


def _stripped(raw):
    del _cell(raw, "knn_two_loops_check")["metadata"]["nbgrader"]


def _stripped_everywhere_with_ids_kept(raw):
    for cell in raw["cells"]:
        cell["metadata"].pop("nbgrader", None)


def _deleted_test(raw):
    raw["cells"].remove(_cell(raw, "knn_predict_labels_check"))


def _rewritten_test(raw):
    _cell(raw, "knn_two_loops_check")["source"] = "print('OK')\n"


def _test_to_markdown(raw):
    cell = _cell(raw, "knn_no_loops_check")
    cell["cell_type"] = "markdown"
    del cell["outputs"], cell["execution_count"]


def _test_to_raw(raw):
    cell = _cell(raw, "knn_one_loop_check")
    cell["cell_type"] = "raw"
    del cell["outputs"], cell["execution_count"]


def _all_tests_deleted(raw):
    raw["cells"] = [c for c in raw["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")
                    or c["cell_type"] == "markdown"]


def _test_replaced_under_its_grade_id(raw):  # a new cell (new id) posing as the test cell
    cell = _cell(raw, "knn_one_loop_check")
    cell["id"], cell["source"] = "replacement", "assert True\n"


def _no_kernelspec(raw):
    del raw["metadata"]["kernelspec"]


def _null_kernelspec(raw):
    raw["metadata"]["kernelspec"] = None


def _julia_by_language_info(raw):
    raw["metadata"]["kernelspec"] = {"name": "julia-1.10", "display_name": "Julia 1.10"}
    raw["metadata"]["language_info"] = {"name": "julia"}


def _r_kernel(raw):
    raw["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}


def _fake_pass(raw):
    _cell(raw, "knn_two_loops_check")["outputs"] = [_stream("All tests passed!\n")]


def _fake_score(raw):
    _cell(raw, "knn_predict_labels_check")["outputs"] = [_stream("Score: 16/16\n")]


def _result_without_a_run(raw):
    _cell(raw, "knn_one_loop")["outputs"] = [{"output_type": "execute_result", "execution_count": 4,
                                              "metadata": {}, "data": {"text/plain": "'done'"}}]


def _result_of_another_run(raw):
    cell = _cell(raw, "knn_one_loop")
    cell["execution_count"] = 7
    cell["outputs"] = [{"output_type": "execute_result", "execution_count": 3, "metadata": {},
                        "data": {"text/plain": "0"}}]


def _outputs_on_markdown(raw):
    next(c for c in raw["cells"] if c["cell_type"] == "markdown")["outputs"] = [_stream("hi\n")]


def _error_on_an_empty_cell(raw):
    raw["cells"].append({"cell_type": "code", "id": "empty-1", "metadata": {}, "execution_count": 9,
                         "source": "# nothing here\n", "outputs": [
                             {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "16/16"}}]})


@pytest.mark.parametrize("count", [0, -3, "7", 1.5, True])
def test_execution_counts_no_kernel_writes_are_flagged(count):
    raw = _honest()
    _cell(raw, "knn_two_loops")["execution_count"] = count
    assert _flags(raw) == ["impossible_execution_count"]


@pytest.mark.parametrize("change, flag", [
    (_points, "points_changed"), (_points_on_an_answer, "points_changed"),
    (_not_graded, "grade_flags_changed"), (_unlocked, "grade_flags_changed"),
    (_renamed_grade_id, "grade_id_changed"), (_invented_grade_id, "grade_id_changed"),
    (_stripped, "nbgrader_metadata_stripped"), (_stripped_everywhere_with_ids_kept, "nbgrader_metadata_stripped"),
    (_deleted_test, "test_cell_deleted"), (_all_tests_deleted, "test_cell_deleted"),
    (_rewritten_test, "test_cell_changed"), (_test_replaced_under_its_grade_id, "test_cell_changed"),
    (_null_kernelspec, "kernelspec_missing"), (_julia_by_language_info, "kernelspec_changed"),
    (_test_to_markdown, "test_cell_retyped"), (_test_to_raw, "test_cell_retyped"),
    (_no_kernelspec, "kernelspec_missing"), (_r_kernel, "kernelspec_changed"),
    (_fake_pass, "forged_output"), (_fake_score, "forged_output"), (_result_without_a_run, "forged_output"),
    (_result_of_another_run, "forged_output"), (_outputs_on_markdown, "forged_output"),
    (_error_on_an_empty_cell, "forged_output"),
], ids=lambda v: v.__name__.strip("_") if callable(v) else None)
def test_each_kind_of_tampering_gets_its_flag(change, flag):
    raw = _honest()
    change(raw)
    found = integrity.notebook_flags(raw, A1["notebooks"]["knn"], samples.released("knn"))
    assert flag in [f for f, _ in found]
    assert all(f in integrity.FLAGS and note for f, note in found)
    if change not in (_invented_grade_id, _stripped_everywhere_with_ids_kept):
        assert [f for f, _ in found] == [flag]  # nothing else fires


def test_a_fake_pass_is_flagged_only_when_no_code_could_print_it():
    raw = _honest()
    _fake_pass(raw)
    raw["cells"].append({"cell_type": "code", "id": "mine", "metadata": {}, "execution_count": 3, "outputs": [],
                         "source": "print('All tests passed!')\n"})
    assert _flags(raw) == []  # a scratch cell prints it, so running may have put it there


# --- graded code ----------------------------------------------------------------------

@pytest.mark.parametrize("source, flag", [
    ('print("Score: 16/16")\n', "fake_result_print"),
    ("print('{\"auto_score\": 3, \"max_score\": 3}')\n", "fake_result_print"),
    ("get_ipython().input_transformers_cleanup.append(f)\n", "ipython_hooks"),
    ("ip = get_ipython()\nip.events.register('pre_run_cell', f)\n", "ipython_hooks"),
    ("np.allclose = lambda *a, **k: True\n", "monkeypatch"),
])
def test_graded_code_is_flagged_for_what_it_does(source, flag):
    assert flag in integrity.scan(source)


@pytest.mark.parametrize("source", [
    "%timeit np.sum(x)\ndef f(x):\n    return x\n",
    "import threading\nfrom tqdm import tqdm\nimport logging\nlogging.info('start')\n",
    "def f(x):\n    return x +\n",  # a syntax error is a mistake, not tampering
    "print(f'score: {s}/{m}')\n",
])
def test_honest_graded_code_is_not_flagged(source):
    assert integrity.scan(source) == []


# --- files beside the notebook ----------------------------------------------------------

def _write_beside(folder):
    (folder / "numpy.py").write_text("raise SystemExit\n")
    (folder / "scipy").mkdir()
    (folder / "sitecustomize.py").write_text("")
    (folder / "usercustomize.py").write_text("")
    (folder / "evil.pth").write_text("import os\n")
    (folder / "conftest.py").write_text("")
    (folder / ".ipython" / "profile_default" / "startup").mkdir(parents=True)
    (folder / "matplotlibrc").write_text("backend: agg\n")
    (folder / ".numbarc").write_text("")
    (folder / "pip.conf").write_text("")
    (folder / "model.pkl").write_bytes(b"\x80\x04N.")
    np.save(folder / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)


def test_files_that_shadow_or_hook_into_python_are_flagged(tmp_path):
    _write_beside(tmp_path)
    found = dict(integrity.folder_flags(tmp_path))
    assert sorted(found) == ["config_file", "pickled_artefact", "shadowing_module", "startup_hook"]
    notes = " ".join(found.values())
    assert "numpy.py" in notes and "model.pkl" in notes and "more" in found["startup_hook"]


def test_links_fifos_and_honest_files_beside_the_notebook(tmp_path):
    for name in ("timestamp.txt", "knn.ipynb", "helpers.py", "plot.png", "notes.md"):
        (tmp_path / name).write_text("")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    np.save(tmp_path / "dists.npy", np.zeros(3))  # a plain array is data, not a pickle
    assert integrity.folder_flags(tmp_path) == []
    os.symlink("/dev/zero", tmp_path / "big.npy")  # never opened: lstat says it is a link
    os.mkfifo(tmp_path / "pipe.npz")  # never opened either: it would block
    os.symlink("/nonexistent/x.py", tmp_path / "numpy.py")  # judged by its name, not followed
    assert [f for f, _ in integrity.folder_flags(tmp_path)] == ["shadowing_module"]


# --- the record ----------------------------------------------------------------------

def test_the_record_names_each_flag_with_a_note(tmp_path):
    folder = tmp_path / "course" / "submitted" / "s1" / "a1"
    folder.mkdir(parents=True)
    raw = _honest()
    for change in (_points, _fake_pass, _no_kernelspec, _test_to_markdown):
        change(raw)
    (folder / "knn.ipynb").write_text(json.dumps(raw), encoding="utf-8")
    (folder / "sitecustomize.py").write_text("")
    record, _ = grade_file(folder / "knn.ipynb", "a1", student="s1")
    assert record["flags"] == ["forged_output", "kernelspec_missing", "points_changed", "startup_hook",
                               "test_cell_retyped"]
    assert [n.split(":")[0] for n in record["flag_notes"]] == record["flags"]
    assert record["score"] == 16  # flags never change a grade


def test_every_flag_is_documented_for_the_instructor():
    from dl4cv_grader.manifest import REPO

    docs = (REPO / "docs" / "autograder.md").read_text(encoding="utf-8")
    assert [flag for flag in integrity.FLAGS if f"`{flag}`" not in docs] == []
    raised = set(integrity._MODULES.values()) | set(integrity._CALLS.values())
    assert raised <= set(integrity.FLAGS)


ODD = [None, 7, -1, 1.5, True, "x", "", [], ["a", 1], {}, {"a": [1]}]


@pytest.mark.parametrize("field", ["id", "cell_type", "source", "metadata", "outputs", "execution_count",
                                   "nbgrader", "grade_id", "points", "output"])
def test_any_json_in_any_field_is_judged_without_raising(field):
    for odd in ODD:
        raw = _honest()
        for cell in raw["cells"][:12]:
            if field == "nbgrader":
                cell["metadata"]["nbgrader"] = odd
            elif field in ("grade_id", "points"):
                cell["metadata"].setdefault("nbgrader", {})[field] = odd
            elif field == "output":
                cell["outputs"] = [odd, {"output_type": odd, "data": odd, "text": odd, "execution_count": odd}]
            else:
                cell[field] = odd
        raw["metadata"] = {"kernelspec": odd, "language_info": odd}
        assert all(flag in integrity.FLAGS for flag, _ in integrity.notebook_flags(
            raw, A1["notebooks"]["knn"], samples.released("knn")))
