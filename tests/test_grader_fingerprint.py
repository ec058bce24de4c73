"""The fingerprint a resumed batch compares covers everything a notebook's checks run."""
import os
import shutil
import subprocess
import sys

import pytest

from dl4cv_grader import fingerprint, manifest as manifests
from dl4cv_grader.manifest import REPO


def _closure(notebook):
    entry = manifests.load("a1")["notebooks"][notebook]
    return fingerprint.source_closure(fingerprint.check_modules(entry))


def test_closure_follows_shared_helpers_and_library_references():
    svm = _closure("svm")
    # a helper imported from another notebook's check module, and the library reference
    assert "dl4cv_grader.checks.a1_two_layer_net" in svm
    assert "dl4cv.classifiers.linear_svm" in svm
    # parent packages run their __init__ on import
    assert "dl4cv.classifiers" in svm and "dl4cv_grader.checks" in svm
    knn = _closure("knn")
    assert "dl4cv_grader.checks.a1_two_layer_net" not in knn
    assert "dl4cv.classifiers.linear_svm" not in knn
    assert "dl4cv.classifiers.k_nearest_neighbor" in knn


def test_relative_imports_are_resolved(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("from . import sibling\nfrom ..other import thing\nimport dl4cv.layers\n")
    names = fingerprint._imported_names(path, "dl4cv_grader.checks.mod")
    assert "dl4cv_grader.checks.sibling" in names
    assert "dl4cv_grader.other" in names and "dl4cv_grader.other.thing" in names
    assert "dl4cv.layers" in names


def _copy_course_code(dest):
    """The parts of the repository grading reads, with the Numba cache kept valid."""
    for part in ("autograder", "lib", "assignments", "solutions"):
        shutil.copytree(REPO / part, dest / part, symlinks=True,
                        ignore=shutil.ignore_patterns("*.egg-info", ".ipynb_checkpoints"))
    for source in (REPO / "lib" / "dl4cv" / "kernels").glob("*.py"):
        shutil.copystat(source, dest / "lib" / "dl4cv" / "kernels" / source.name)


@pytest.mark.slow
def test_resume_regrades_the_notebooks_whose_shared_helper_changed(tmp_path):
    code, course = tmp_path / "code", tmp_path / "course"
    _copy_course_code(code)
    folder = course / "submitted" / "s1" / "a1"
    folder.mkdir(parents=True)
    for notebook in ("knn", "svm"):
        shutil.copy(REPO / "assignments" / "a1" / f"{notebook}.ipynb", folder)
    env = dict(os.environ, PYTHONPATH=f"{code / 'autograder'}{os.pathsep}{code / 'lib'}")
    cmd = [sys.executable, "-m", "dl4cv_grader.cli", "grade", "a1", "--course-dir", str(course),
           "--jobs", "1", "--student", "s1"]

    def grade():
        run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        return run.stdout

    assert "graded 2, unchanged 0" in grade()
    records = {nb: course / "dl4cv_records" / "a1" / "s1" / f"{nb}.json" for nb in ("knn", "svm")}
    before = {nb: path.stat().st_mtime_ns for nb, path in records.items()}

    assert "graded 0, unchanged 2" in grade()
    assert {nb: path.stat().st_mtime_ns for nb, path in records.items()} == before

    helper = code / "autograder" / "dl4cv_grader" / "checks" / "a1_two_layer_net.py"
    helper.write_text(helper.read_text() + "\n# a changed shared helper module\n")
    assert "graded 1, unchanged 1" in grade()
    assert records["knn"].stat().st_mtime_ns == before["knn"]
    assert records["svm"].stat().st_mtime_ns != before["svm"]
