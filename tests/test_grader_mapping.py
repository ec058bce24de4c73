"""Reading submissions defensively and finding the task cells (no code is run here)."""
import json

import pytest

from dl4cv import submit
from dl4cv_grader import manifest, notebook_io, samples

KNN = manifest.load("a1")["notebooks"]["knn"]
TASKS = ("knn_two_loops", "knn_predict_labels", "knn_one_loop", "knn_no_loops")


def _map(tmp_path, kind):
    sample = samples.make(kind, tmp_path / kind)
    sub = notebook_io.read_submission(sample.path)
    assert not sub.fatal, sub.fatal
    mapping, code = notebook_io.map_submission(sub, KNN)
    return sample, sub, mapping, code


def _kinds(mapping):
    return {(n["kind"], n["grade_id"]) for n in mapping.notes}


def test_reference_maps_every_task_by_id_with_no_notes(tmp_path):
    _, _, mapping, code = _map(tmp_path, "reference")
    assert mapping.notes == [] and mapping.changed_locked == []
    for gid in TASKS:
        assert mapping.found[gid].how == "content" and len(mapping.found[gid].cells) == 1
        names = next(c["defines"] for c in KNN["cells"] if c.get("grade_id") == gid)
        assert f"def {names[0]}(" in code.source(gid)


def test_blank_release_is_reported_unchanged(tmp_path):
    _, _, mapping, _ = _map(tmp_path, "blank")
    assert {g for k, g in _kinds(mapping) if k == "unchanged"} >= set(TASKS)


def test_deleted_cell_is_missing_and_others_still_found(tmp_path):
    _, _, mapping, code = _map(tmp_path, "deleted")
    assert ("missing", "knn_one_loop") in _kinds(mapping)
    assert code.source("knn_one_loop") == ""
    assert all(mapping.found[g].cells for g in TASKS if g != "knn_one_loop")


def test_duplicate_takes_the_last_copy_only(tmp_path):
    _, sub, mapping, code = _map(tmp_path, "duplicated")
    assert ("duplicated", "knn_no_loops") in _kinds(mapping)
    assert len(mapping.found["knn_no_loops"].cells) == 1
    assert "np.zeros((len(X)" not in code.source("knn_no_loops")  # the wrong first copy is unused


def test_reordered_retyped_and_split_cells(tmp_path):
    _, _, mapping, _ = _map(tmp_path, "reordered")
    assert ("reordered", "") in _kinds(mapping)
    _, _, mapping, code = _map(tmp_path, "retyped")
    assert ("retyped", "knn_no_loops") in _kinds(mapping)
    assert "def compute_distances_no_loops" in code.source("knn_no_loops")
    _, _, mapping, code = _map(tmp_path, "split")
    assert ("split", "knn_two_loops") in _kinds(mapping)
    assert code.source("knn_two_loops").index("def _pairwise") < code.source("knn_two_loops").index(
        "def compute_distances_two_loops")


def test_no_ids_maps_by_content_and_answers_by_position(tmp_path):
    _, sub, mapping, _ = _map(tmp_path, "no_ids")
    assert "missing_cell_ids" in sub.flags
    assert all(mapping.found[g].how == "content" for g in TASKS)
    assert mapping.found["knn_q1"].how == "position" and "Your answer" in mapping.found["knn_q1"].source


def test_student_metadata_is_only_a_hint(tmp_path):
    sample = samples.make("reference", tmp_path)
    nb = json.loads(sample.path.read_text())
    for cell in nb["cells"]:  # claim every cell is the no_loops task
        cell.setdefault("metadata", {})["nbgrader"] = {"grade_id": "knn_no_loops", "solution": True}
    sample.path.write_text(json.dumps(nb))
    mapping, code = notebook_io.map_submission(notebook_io.read_submission(sample.path), KNN)
    assert code.source("knn_no_loops").count("def compute_distances_no_loops") == 1
    assert "def compute_distances_two_loops" in code.source("knn_two_loops")


def test_unreadable_files_get_a_reason(tmp_path):
    broken = samples.make("broken_json", tmp_path).path
    sub = notebook_io.read_submission(broken)
    assert "invalid_json" in sub.flags and "not valid JSON" in sub.fatal and sub.sha256
    other = tmp_path / "x.ipynb"
    other.write_text(json.dumps({"hello": 1}))
    assert "not_a_notebook" in notebook_io.read_submission(other).flags
    other.write_bytes(b"\xff\xfe\x00garbage")
    assert "not_utf8" in notebook_io.read_submission(other).flags


@pytest.mark.slow
def test_size_caps(tmp_path):
    big = samples.make("huge_outputs", tmp_path).path
    sub = notebook_io.read_submission(big)
    assert "large_file" in sub.flags and not sub.fatal
    assert all(len(json.dumps(c.get("outputs", []))) < 200 for c in sub.nb["cells"])
    sub = notebook_io.read_submission(big, hard_cap=10 * notebook_io.MB)
    assert "too_large" in sub.flags and "Clear Outputs" in sub.fatal
    small = samples.make("huge_outputs", tmp_path / "s").path
    sub = notebook_io.read_submission(small, soft_cap=100 * notebook_io.MB, cell_output_cap=notebook_io.MB)
    assert "large_outputs" in sub.flags


def test_nbformat3_is_converted(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [
        {"cells": [{"cell_type": "code", "input": "def predict_labels(self, dists, k=1):\n    return 0\n",
                    "language": "python", "outputs": [], "metadata": {}}]}]}))
    sub = notebook_io.read_submission(path)
    assert "converted_nbformat" in sub.flags
    mapping, code = notebook_io.map_submission(sub, KNN)
    assert "def predict_labels" in code.source("knn_predict_labels")


@pytest.mark.parametrize("kind, words", [
    ("reference", "ready to submit"), ("deleted", "is missing; restore it"), ("duplicated", "the last one"),
    ("retyped", "markdown cell"), ("blank", "unchanged from the release"), ("renamed", "rename it"),
])
def test_student_check_says_what_is_wrong(tmp_path, capsys, kind, words):
    sample = samples.make(kind, tmp_path)
    ok = submit.check(sample.path)
    out = capsys.readouterr().out
    assert words in out
    assert ok == (kind == "reference")


def test_student_check_names_a_changed_locked_cell(tmp_path, capsys):
    sample = samples.make("reference", tmp_path)
    nb = json.loads(sample.path.read_text())
    cls = next(c for c in nb["cells"] if c["id"] == "knn_class")
    cls["source"] = "class KNearestNeighbor:\n    pass\n"
    sample.path.write_text(json.dumps(nb))
    assert not submit.check(sample.path)
    assert "knn_class was changed" in capsys.readouterr().out
