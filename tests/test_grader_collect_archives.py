"""``dl4cv-grade collect`` from tar archives, refused formats, escaped names, trusted times."""
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from datetime import datetime, timezone

import pytest

from dl4cv_grader import collect as collecting, manifest, provenance, samples
from dl4cv_grader.batch import course_salt

MANIFEST = manifest.load("a1")
CLI = [sys.executable, "-m", "dl4cv_grader.cli"]
WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def _member(tf, name, data=b"", kind=tarfile.REGTYPE, link="", mtime=WHEN.timestamp()):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime, info.size = kind, link, mtime, len(data)
    tf.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


@pytest.fixture
def notebook(tmp_path):
    return samples.make("reference", tmp_path / "src").path.read_bytes()


@pytest.mark.parametrize("suffix, mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz")])
def test_tar_archives_are_collected_with_the_zip_rules(tmp_path, notebook, suffix, mode):
    upload = tmp_path / f"export{suffix}"
    with tarfile.open(upload, mode) as tf:
        _member(tf, "amy/a1/knn.ipynb", notebook)
        _member(tf, "amy/a1/timestamp.txt", b"2025-03-01 00:00:00.000000 UTC\n")  # her claim
        _member(tf, "bob/KNN (1).ipynb", notebook)
        _member(tf, "../evil/knn.ipynb", notebook)
        _member(tf, "/abs/knn.ipynb", notebook)
        _member(tf, "cat/knn.ipynb", kind=tarfile.SYMTYPE, link="/etc/passwd")
        _member(tf, "dan/knn.ipynb", kind=tarfile.LNKTYPE, link="amy/a1/knn.ipynb")
        _member(tf, "eve/knn.ipynb", kind=tarfile.CHRTYPE)
        _member(tf, "fay/knn.ipynb", kind=tarfile.FIFOTYPE)
        _member(tf, "amy/.ipynb_checkpoints/knn-checkpoint.ipynb", b"{}")
    course = tmp_path / "course"
    report = collecting.collect("a1", upload, course, MANIFEST)
    text = "\n".join(report.lines())
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["amy", "bob"]
    amy = course / "submitted" / "amy" / "a1"
    assert (amy / "knn.ipynb").read_bytes() == notebook
    assert (course / "submitted" / "bob" / "a1" / "knn.ipynb").read_bytes() == notebook
    assert len(report.problems) == 6 and text.count("refused") == 6, text
    assert not (tmp_path / "evil").exists()
    entry = provenance.trusted(amy, "knn", course_salt(course))
    assert entry["time"] == WHEN and entry["source"] == "tar member time"
    assert provenance.read_timestamp(amy) == WHEN  # nbgrader's timestamp.txt: the trusted time
    assert "claims 2025-03-01 00:00:00 UTC" in text


def test_a_claimed_timestamp_is_kept_as_a_claim_and_flagged(tmp_path, notebook):
    upload = tmp_path / "export.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        zf.writestr(zipfile.ZipInfo("amy/knn.ipynb", date_time=(2025, 3, 4, 5, 6, 8)), notebook)
        zf.writestr(zipfile.ZipInfo("amy/timestamp.txt", date_time=(2025, 3, 4, 5, 6, 8)),
                    "2025-01-01 00:00:00.000000 UTC")
    course = tmp_path / "course"
    collecting.collect("a1", upload, course, MANIFEST)
    folder, key = course / "submitted" / "amy" / "a1", course_salt(course)
    sha = provenance.trusted(folder, "knn", key)["sha256"]
    fields, flags, _ = provenance.for_record(folder, "knn", key, sha)
    assert fields["timestamp"].startswith("2025-03-04T05:06:08")  # the zip member's time
    assert fields["claimed_timestamp"].startswith("2025-01-01") and flags == [provenance.MISMATCH_FLAG]


def test_a_time_the_student_wrote_is_never_trusted(tmp_path, notebook):
    course = tmp_path / "course"
    folder = course / "submitted" / "amy" / "a1"
    folder.mkdir(parents=True)
    (folder / "knn.ipynb").write_bytes(notebook)
    (folder / "timestamp.txt").write_text("2025-01-01 00:00:00.000000 UTC\n")
    forged = {"knn": {"time": "2025-01-01T00:00:00+00:00", "source": "zip member time", "upload": "x",
                      "sha256": "0" * 64, "claimed": None, "signature": "0" * 64}}
    (folder / provenance.FILE).write_text(json.dumps(forged))
    fields, flags, notes = provenance.for_record(folder, "knn", course_salt(course), "0" * 64)
    assert fields["timestamp"] is None and fields["claimed_timestamp"].startswith("2025-01-01")
    assert "not used for lateness" in notes[0]


def test_other_sources_are_refused_and_empty_ones_fail(tmp_path):
    rar = tmp_path / "export.rar"
    rar.write_bytes(b"Rar!\x1a\x07\x00" + os.urandom(64))
    run = subprocess.run(CLI + ["collect", "a1", "--from", str(rar), "--course-dir", str(tmp_path / "c")],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "neither a folder nor a .zip, .tar or .tar.gz" in run.stderr
    assert "Traceback" not in run.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    run = subprocess.run(CLI + ["collect", "a1", "--from", str(empty), "--course-dir", str(tmp_path / "c")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "nothing to collect" in run.stdout


def test_names_with_control_characters_are_escaped_in_the_report(tmp_path, notebook):
    upload = tmp_path / "export.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        zf.writestr("evil\nname\x1b[2J/knn.ipynb", notebook)
        zf.writestr("x\r\ncollected: fake/knn.ipynb", b"hello")
    report = collecting.collect("a1", upload, tmp_path / "course", MANIFEST)
    lines = report.lines()
    assert all("\n" not in line and "\r" not in line and "\x1b" not in line for line in lines)
    assert any("evil\\nname\\x1b[2J/knn.ipynb" in line for line in lines)
    # Ids are sanitised; a file named like a notebook is stored even if it is none (grading says so).
    assert sorted(p.name for p in (tmp_path / "course" / "submitted").iterdir()) == [
        "evil_name__2J", "x__collected__fake"]


def test_unknown_assignments_are_named(tmp_path):
    for command in (["grade", "a9"], ["export", "a9", "--to", str(tmp_path / "x.csv")],
                    ["collect", "a9", "--from", str(tmp_path)]):
        run = subprocess.run(CLI + command, capture_output=True, text=True)
        assert run.returncode == 2 and "there is no assignment 'a9'; this course has: a1" in run.stderr
