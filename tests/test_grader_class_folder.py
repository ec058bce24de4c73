"""A whole class folder with every kind of bad entry beside honest submissions, graded through
the real CLI: the batch finishes, honest students get their scores, every bad entry ends as a
record with 0 points and a reason, nothing is read through a link, and export shows everyone."""
import csv
import json
import subprocess
import sys

import pytest

from dl4cv_grader import feedback, manifest, samples

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "dl4cv_grader.cli"]
HONEST = ("reference", "partial", "blank")
NOTEBOOKS = list(manifest.load("a1")["notebooks"])
ODD_ID = "odd\nid\x1b[31m"  # a folder name with a newline and an escape sequence


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    kinds = HONEST + tuple(k for k in samples.FOLDER_KINDS if samples.can_make(k))
    made = {kind: samples.make(kind, course / "submitted" / kind / "a1") for kind in kinds}
    # A file that never ends: a FIFO with a writer that never stops (it blocks until a reader opens).
    made["endless_fifo"] = samples.make("fifo", course / "submitted" / "endless_fifo" / "a1")
    writer = subprocess.Popen(["sh", "-c", f"yes > '{made['endless_fifo'].path}'"])
    made[ODD_ID] = samples.make("reference", course / "submitted" / ODD_ID / "a1")
    try:
        run = subprocess.run(CLI + ["grade", "a1", "--course-dir", str(course), "--jobs", "2"],
                             capture_output=True, text=True, timeout=1200)
        writer_blocked = writer.poll() is None  # nobody ever opened the FIFO for reading
    finally:
        writer.kill()
        writer.wait()
    records = {(r["student"], r["notebook"]): r for r in feedback.records(course, "a1")}
    return course, made, records, run, writer_blocked


def test_the_batch_finishes_and_says_what_happened(graded):
    _, made, _, run, _ = graded
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Traceback" not in run.stdout + run.stderr
    bad = [k for k in made if samples.FOLDER_KINDS.get(k)]
    summary = run.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"graded {len(made) - len(bad) - 1}, unchanged 0, ungradable "), summary
    assert "symlink " in summary and "special_file " in summary and "too_deep 2" in summary


def test_every_student_folder_has_a_record_per_notebook(graded):
    _, made, records, _, _ = graded
    assert set(records) == {(student, nb) for student in made for nb in NOTEBOOKS}


def test_honest_and_renamed_students_get_their_scores(graded):
    _, made, records, _, _ = graded
    for student, sample in made.items():
        if sample.reason:
            continue
        record = records[(student, "knn")]
        assert record["ungradable"] == "", (student, record["reason"])
        assert record["score"] == pytest.approx(sample.score), student
    assert any("graded KNN.ipynb as knn.ipynb" in n for n in records[("renamed_case", "knn")]["notes"])
    assert any("graded my homework.ipynb as knn.ipynb" in n for n in records[("renamed_by_cells", "knn")]["notes"])


def test_every_bad_entry_is_a_zero_with_a_reason(graded):
    _, made, records, _, _ = graded
    for student, sample in made.items():
        if not sample.reason:
            continue
        record = records[(student, "knn")]
        assert (record["ungradable"], record["score"]) == (sample.reason, 0), student
        assert record["reason"] and "\n" not in record["reason"], student
        assert all(c["score"] == 0 and c["message"] == record["reason"] for c in record["checks"])
    assert "several files that could be knn.ipynb: KNN.ipynb, knn (1).ipynb" in records[("ambiguous", "knn")]["reason"]
    assert "found homework.ipynb" in records[("unknown_file", "knn")]["reason"]
    assert "FIFO" in records[("fifo", "knn")]["reason"] and "/dev/zero" in records[("symlink_dev_zero", "knn")]["reason"]
    assert records[("reference", "svm")]["ungradable"] == "missing"


def test_nothing_is_read_through_a_link_or_a_fifo(graded):
    _, made, records, _, writer_blocked = graded
    assert writer_blocked, "somebody opened the FIFO"
    # Following these links would have read a full-marks notebook (the solutions, a course file).
    for student in ("symlink_out", "symlink_in", "assignment_symlink", "directory"):
        record = records[(student, "knn")]
        assert record["submission_sha256"] == "" and record["score"] == 0, student


def test_ids_with_control_characters_are_escaped_in_the_log(graded):
    _, _, records, run, _ = graded
    assert records[(ODD_ID, "knn")]["score"] == 16
    assert "odd\\nid\\x1b[31m knn: 16 / 16" in run.stdout and "\x1b" not in run.stdout


def test_export_has_a_row_per_student_with_totals_and_reasons(graded, tmp_path):
    course, made, records, _, _ = graded
    out = tmp_path / "grades.csv"
    run = subprocess.run(CLI + ["export", "a1", "--course-dir", str(course), "--to", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = {r["student"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert len(rows) == len(made) and "odd\\nid\\x1b[31m" in rows
    assert rows["reference"]["total"] == "16" and rows["reference"]["knn_status"] == "graded"
    assert rows["reference"]["svm_status"] == "missing" and rows["reference"]["svm_loss_naive_check"] == "0"
    assert "svm: no svm.ipynb" in rows["reference"]["reasons"]
    assert rows["partial"]["knn_total"] == "11" and rows["partial"]["total"] == "11"
    assert rows["fifo"]["knn_status"] == "special_file" and rows["fifo"]["total"] == "0"
    assert float(rows["fifo"]["max"]) == sum(
        c["points"] for nb in manifest.load("a1")["notebooks"].values() for c in nb["cells"]
        if c["kind"] in ("grade", "manual"))


def test_a_second_run_grades_nothing_again(graded):
    course, made, records, _, _ = graded
    run = subprocess.run(CLI + ["grade", "a1", "--course-dir", str(course)], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "graded 0," in run.stdout.splitlines()[-1]
    again = {(r["student"], r["notebook"]): r["graded_at"] for r in feedback.records(course, "a1")}
    assert again == {key: r["graded_at"] for key, r in records.items()}
    assert json.loads((course / "dl4cv_records" / "a1" / "fifo" / "knn.json").read_text())["ungradable"] == "special_file"
