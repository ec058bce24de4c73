"""A class of 200 generated submissions, graded with --jobs 2, interrupted and resumed."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dl4cv_grader import feedback, gradebook, samples

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "dl4cv_grader.cli"]


def _records(course):
    return list((course / "dl4cv_records" / "a1").glob("*/knn.json"))


def _children(pid):
    """Process ids whose parent is pid (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_200_submissions_survive_a_killed_coordinator(tmp_path):
    course = tmp_path / "course"
    made = samples.mixed_batch(200, course)
    cmd = CLI + ["grade", "a1", "--course-dir", str(course), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 600
    while len(_records(course)) < 100 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    workers = _children(proc.pid)
    assert workers, "the coordinator has no pool workers"
    proc.send_signal(signal.SIGKILL)  # the coordinator only; its pool workers notice and stop
    proc.wait()
    deadline = time.time() + 30
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "pool workers outlived their coordinator"
    before = {p: p.stat().st_mtime_ns for p in _records(course)}
    assert 100 <= len(before) < 200
    graded_before = sum(1 for p in before if not json.loads(p.read_text())["ungradable"])
    broken = sum(1 for s in made.values() if s.kind == "broken_json")  # ungradable: invalid_json

    run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"graded {200 - broken - graded_before}, unchanged {graded_before}, " in run.stdout
    assert run.stdout.strip().splitlines()[-1].split("; ")[0].endswith("failed 0")
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())  # none graded twice

    records = {r["student"]: r for r in feedback.records(course, "a1") if r["notebook"] == "knn"}
    assert set(records) == set(made)
    wrong = [(s, r["score"], made[s].kind, made[s].score) for s, r in records.items()
             if abs(r["score"] - made[s].score) > 1e-9]
    assert wrong == []
    scores = gradebook.scores(course, "a1")
    assert len([key for key in scores if key[1] == "knn"]) == 200
    for student, record in records.items():
        auto = sum(scores[(student, "knn")][g] for g in record["grade_cells"])
        assert auto == pytest.approx(record["score"])
