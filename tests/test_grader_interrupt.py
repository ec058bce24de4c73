"""Ctrl-C during ``dl4cv-grade grade``, sent to the whole process group as a terminal does."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dl4cv_grader import feedback, samples

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "dl4cv_grader.cli"]


def _group(pgid):
    """Live (not zombie) processes of process group ``pgid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(stat.parent.name))
    return found


def _cmdline(pid):
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _as_in_a_terminal():
    """SIGINT at its default, as a shell leaves it for a foreground command (a test run in the
    background of a non-interactive shell inherits it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_keeps_finished_records_and_says_how_to_resume(tmp_path):
    course = tmp_path / "course"
    for i in range(6):
        samples.make("reference", course / "submitted" / f"s{i}" / "a1")
    cmd = CLI + ["grade", "a1", "--course-dir", str(course), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
                            preexec_fn=_as_in_a_terminal)
    seen = []
    for line in proc.stdout:  # wait for the first graded submission
        seen.append(line)
        if "knn: 16 / 16" in line:
            break
    assert any("knn: 16 / 16" in line for line in seen), "".join(seen) + proc.stderr.read()
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)  # a guard against a hang, not a timing assertion
    out = "".join(seen) + out
    assert proc.returncode == 130, out + err
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err
    assert "interrupted" in out and f"dl4cv-grade grade a1 --course-dir {course}" in out and "again" in out
    deadline = time.time() + 30  # multiprocessing's resource tracker exits when it sees EOF
    while _group(proc.pid) and time.time() < deadline:
        time.sleep(0.2)
    left = {pid: _cmdline(pid) for pid in _group(proc.pid)}
    assert left == {}, "pool workers or sandboxes outlived the interrupted batch"

    kept = {p: p.stat().st_mtime_ns for p in (course / "dl4cv_records" / "a1").glob("*/knn.json")
            if json.loads(p.read_text())["score"] == 16}
    assert 1 <= len(kept) < 6
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"graded {6 - len(kept)}, unchanged {len(kept)}," in run.stdout
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # finished ones not graded again
    assert {r["student"]: r["score"] for r in feedback.records(course, "a1") if r["notebook"] == "knn"} == {
        f"s{i}": 16 for i in range(6)}
