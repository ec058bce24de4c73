"""Grading through the full notebook path: real sandbox runner, real CLI, real gradebook.

Every sample of ``dl4cv_grader.samples`` (reference, blank, partly wrong, mangled, hostile)
is collected into one course and graded by ``dl4cv-grade grade --jobs 2``; each must get
exactly the scores its real behaviour earns, with a note (mangled) or a flag (hostile).
"""
import csv
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dl4cv_grader import feedback, gradebook, samples
from dl4cv_grader.grade import grade_file

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "dl4cv_grader.cli"]
EXCLUDED = ("renamed",)  # graded separately: its file name is not knn.ipynb


@pytest.fixture(scope="module")
def server():
    """A local TCP server: the network sample scores more only if it can reach it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
                conn.close()
            except OSError:
                return
    threading.Thread(target=serve, daemon=True).start()
    yield srv.getsockname()[1]
    srv.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, server):
    course = tmp_path_factory.mktemp("course")
    made = {kind: samples.make(kind, course / "submitted" / kind / "a1", course_dir=course, port=server)
            for kind in samples.KINDS if kind not in EXCLUDED}
    run = subprocess.run(CLI + ["grade", "a1", "--course-dir", str(course), "--jobs", "2"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    records = {r["student"]: r for r in feedback.records(course, "a1") if r["notebook"] == "knn"}
    return course, made, records, run.stdout


def test_every_submission_gets_a_record(graded):
    course, made, records, _ = graded
    assert set(records) == set(made)


@pytest.mark.parametrize("kind", [k for k in samples.KINDS if k not in EXCLUDED])
def test_scores_are_what_the_code_earns(graded, kind):
    _, made, records, _ = graded
    record = records[kind]
    got = {row["check_id"]: row["score"] for row in record["checks"]}
    assert got == pytest.approx(made[kind].expected), [
        (r["check_id"], r["status"], r["message"]) for r in record["checks"]]
    assert record["score"] == pytest.approx(made[kind].score)
    said = {n["kind"] for n in record["mapping"]} | set(record["read_flags"])
    assert set(made[kind].notes) <= said, said
    if made[kind].flag:
        assert record["flags"], f"{kind} should be flagged"


def test_reference_passes_cleanly_and_blank_errors_name_the_problem(graded):
    _, _, records, _ = graded
    assert {r["status"] for r in records["reference"]["checks"]} == {"pass"}
    assert records["reference"]["flags"] == [] and records["reference"]["mapping"] == []
    blank = records["blank"]["checks"]
    assert all(r["score"] == 0 for r in blank)
    assert any("NotImplementedError" in (r["message"] or "") for r in blank)


def test_gradebook_matches_records_and_attacks_left_it_alone(graded):
    course, made, records, _ = graded
    scores = gradebook.scores(course, "a1")
    for student, record in records.items():
        row = scores[(student, "knn")]
        for grade_id, cell in record["grade_cells"].items():
            assert row[grade_id] == pytest.approx(cell["score"]), (student, grade_id)
        assert all(row[q] is None for q in record["manual_cells"])  # waiting for formgrader


def test_no_process_outlives_grading(graded):
    leftovers = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text.startswith("sleep 97") or "time.sleep(120)" in text:
            leftovers.append(text)
    assert leftovers == []


def test_renamed_file_is_identified_and_graded(tmp_path):
    sample = samples.make("renamed", tmp_path)
    record, view = grade_file(sample.path, "a1", student="x", hidden_paths=[str(tmp_path)])
    assert record["notebook"] == "knn" and record["score"] == 16
    assert any("identified as knn.ipynb" in n for n in record["notes"])
    assert any(c.metadata.get("nbgrader", {}).get("grade_id") == "knn_q1" for c in view.cells)


def test_feedback_escapes_and_hides_the_checks(graded):
    course, _, records, _ = graded
    run = subprocess.run(CLI + ["feedback", "a1", "--course-dir", str(course)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    page = (course / "feedback" / "eq_always_true" / "a1" / "knn.html").read_text()
    assert "class _Sly" in page and "<script" not in page
    assert "a1.knn.two_loops" in page and "Autograded: 13 / 16" in page
    checks_source = (Path(samples.__file__).parent / "checks" / "a1_knn.py").read_text()
    assert "np.linspace(0.5, 5.0" in checks_source and "linspace" not in page
    html_fake = (course / "feedback" / "fake_score" / "a1" / "knn.html").read_text()
    assert "print(&quot;Score: 16/16&quot;)" in html_fake


def test_export_has_one_row_per_notebook_with_late_info(graded, tmp_path):
    course, made, records, _ = graded
    out = tmp_path / "grades.csv"
    run = subprocess.run(CLI + ["export", "a1", "--course-dir", str(course), "--to", str(out),
                                "--due", "2000-01-01 00:00"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert set(rows) == set(records)
    assert rows["reference"]["knn_total"] == "16" and rows["reference"]["total"] == "16"  # the rest missing
    assert rows["partial"]["knn_no_loops_check"] == "4"
    assert "monkeypatch" in rows["patch_allclose"]["flags"]
    # The forged_flag sample wrote a spreadsheet formula into its flags: no cell may start one.
    assert "forged-flag" in rows["forged_flag"]["flags"]
    assert not [v for r in rows.values() for v in r.values() if v[:1] in ("=", "+", "@")]


def test_self_grading_prints_a_report(tmp_path):
    sample = samples.make("partial", tmp_path)
    run = subprocess.run(CLI + ["self", str(sample.path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "11 / 16" in run.stdout and "Isolation used" in run.stdout
    assert "compute_distances_no_loops must not loop" in run.stdout


def test_self_grading_tells_what_to_do_with_blank_missing_and_damaged_files(tmp_path):
    blank = samples.make("blank", tmp_path / "blank")
    run = subprocess.run(CLI + ["self", str(blank.path)], capture_output=True, text=True, timeout=300)
    assert "0 / 16" in run.stdout and "Traceback" not in run.stdout
    assert run.stdout.count("not done yet: the task's cell still raises NotImplementedError") == 6

    missing = subprocess.run(CLI + ["self", str(tmp_path / "nothere.ipynb")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no notebook file" in missing.stderr

    damaged = tmp_path / "mine.ipynb"
    damaged.write_text('{"cells": [', encoding="utf-8")
    unknown = subprocess.run(CLI + ["self", str(damaged)], capture_output=True, text=True)
    assert unknown.returncode == 2 and "not valid JSON" in unknown.stderr and "--notebook" in unknown.stderr
    named = subprocess.run(CLI + ["self", str(damaged), "--notebook", "knn"], capture_output=True, text=True)
    assert named.returncode == 0 and "0 / 16" in named.stdout and "not valid JSON" in named.stdout


def test_resubmitting_the_same_batch_grades_nothing_again(graded):
    course, made, records, _ = graded
    run = subprocess.run(CLI + ["grade", "a1", "--course-dir", str(course)], capture_output=True, text=True)
    assert run.returncode == 0 and f"graded 0, unchanged {len(made) - 1}, " in run.stdout  # broken_json: ungradable
    again = {r["student"]: r["graded_at"] for r in feedback.records(course, "a1") if r["notebook"] == "knn"}
    assert again == {s: r["graded_at"] for s, r in records.items()}
    assert json.loads((course / "dl4cv_records" / "a1" / "reference" / "knn.json").read_text())["score"] == 16
