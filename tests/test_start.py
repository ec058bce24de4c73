"""``python -m dl4cv.start a1 [DIR]``: a student's working copy, outside the repository."""
import os
import subprocess
import sys

import pytest

from dl4cv import start

REPO = start.RELEASED.parent
NOTEBOOKS = sorted(p.name for p in (REPO / "assignments" / "a1").glob("*.ipynb"))


def _start(*args, home):
    env = dict(os.environ, HOME=str(home))
    return subprocess.run([sys.executable, "-m", "dl4cv.start", *args], capture_output=True,
                          text=True, env=env, cwd=home)


def _git_status():
    run = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=all"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        pytest.skip("the course files are not a git clone here")
    return run.stdout


def test_the_working_copy_goes_to_the_students_own_folder_and_never_overwrites(tmp_path):
    before = _git_status()
    run = _start("a1", home=tmp_path)
    assert run.returncode == 0, run.stderr
    work = tmp_path / "dl4cv-work" / "a1"
    assert sorted(p.name for p in work.iterdir()) == NOTEBOOKS
    assert "jupyter" in run.stdout and str(work) in run.stdout

    knn = work / "knn.ipynb"  # the student's work, then a second start after a course update
    knn.write_text(knn.read_text().replace("raise NotImplementedError()", "pass  # mine"))
    (work / "svm.ipynb").unlink()
    again = _start("a1", home=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "pass  # mine" in knn.read_text()
    assert "copied: svm.ipynb" in again.stdout and "kept your own (not overwritten): " in again.stdout
    assert "knn.ipynb" in again.stdout.split("kept your own")[1]
    assert _git_status() == before  # the repository did not change


def test_no_folder_inside_the_repository_and_clear_errors(tmp_path):
    assert _start("a1", str(REPO / "assignments" / "a1"), home=tmp_path).stderr.startswith(
        "dl4cv.start: error:")
    assert "inside the course repository" in _start("a1", str(REPO / "mine"), home=tmp_path).stderr
    missing = _start("a9", home=tmp_path)
    assert missing.returncode == 1 and "no assignment 'a9'; released: a1" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert not (REPO / "mine").exists()


def test_start_needs_only_the_student_install():
    code = "import sys, dl4cv.start; print('nbgrader' in sys.modules or 'dl4cv_grader' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.strip() == "False", run.stderr
