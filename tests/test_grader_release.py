"""Release: real nbgrader generate_assignment, manifests, the CI --check, gradebook cells."""
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from dl4cv_grader import gradebook, manifest
from dl4cv_grader.manifest import REPO
from dl4cv_grader.release import release

CLI = [sys.executable, "-m", "dl4cv_grader.cli"]


@pytest.mark.slow
def test_committed_release_is_up_to_date_via_the_cli(tmp_path):
    from dl4cv import start

    folder, copied, _ = start.start("a1", tmp_path / "mine")  # a student's work, in its own copy
    for name in copied:
        (folder / name).write_text((folder / name).read_text().replace("raise NotImplementedError()", "pass"))
    run = subprocess.run(CLI + ["release", "a1", "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "up to date" in run.stdout


def _copy_repo(tmp_path):
    for rel in ("solutions", "assignments", "autograder/manifests", "lib/dl4cv/assignments_manifest"):
        shutil.copytree(REPO / rel, tmp_path / rel)
    shutil.copy(REPO / "autograder" / "nbgrader_config.py", tmp_path / "autograder")
    return tmp_path


@pytest.mark.slow
def test_check_reports_an_out_of_date_release_and_release_fixes_it(tmp_path):
    repo = _copy_repo(tmp_path)
    assert release("a1", repo=repo, check=True).up_to_date
    src = repo / "solutions" / "a1" / "knn.ipynb"
    src.write_text(src.read_text().replace("k-nearest neighbours", "k nearest neighbours", 1))
    result = release("a1", repo=repo, check=True)
    assert not result.up_to_date
    summary = "\n".join(result.differences)
    assert "assignments/a1/knn.ipynb" in summary and "id" in summary  # the changed cell's id too
    written = release("a1", repo=repo).written
    assert repo / "assignments" / "a1" / "knn.ipynb" in written
    assert release("a1", repo=repo, check=True).up_to_date


def test_manifest_contents():
    knn = manifest.load("a1")["notebooks"]["knn"]
    assert sum(t["points"] for t in knn["tasks"].values()) == 16
    assert sum(c["points"] for c in knn["cells"] if c["kind"] == "manual") == 6
    assert manifest.task_order(knn) == ["knn_two_loops", "knn_predict_labels", "knn_one_loop", "knn_no_loops"]
    prelude = [c for c in knn["cells"] if c.get("prelude")]
    assert [c["id"] for c in prelude] == ["knn_class"] and "class KNearestNeighbor" in prelude[0]["prelude"]
    student = (REPO / "lib" / "dl4cv" / "assignments_manifest" / "a1.json").read_text()
    assert "a1.knn." not in student and "class KNearestNeighbor" not in student  # no hidden info
    released = (REPO / "assignments" / "a1" / "knn.ipynb").read_text()
    assert "dl4cv-check" not in released and "BEGIN SOLUTION" not in released
    assert "np.sqrt(np.sum(diff * diff))" not in released


@pytest.mark.slow
def test_release_into_a_course_records_the_cells_in_its_gradebook(tmp_path):
    gradebook.register("a1", tmp_path)
    with Gradebook(gradebook.db_url(tmp_path)) as gb:
        nb = gb.find_notebook("knn", "a1")
        points = {c.name: c.max_score for c in nb.grade_cells}
    assert points["knn_no_loops_check"] == 6 and points["knn_q1"] == 2
    assert sum(points.values()) == 22


def test_an_install_without_the_course_files_says_to_use_a_clone(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest, "REPO", tmp_path)  # as in a wheel: no solutions/ beside it
    with pytest.raises(FileNotFoundError, match="from a clone of the course repository.*bash setup.sh"):
        manifest.load("a1", tmp_path / "autograder" / "manifests")
    (tmp_path / "solutions").mkdir()  # a clone whose release has not been made yet
    with pytest.raises(FileNotFoundError, match="run `dl4cv-grade release a1` first"):
        manifest.load("a1", tmp_path / "autograder" / "manifests")


def _filled_knn(repo):
    """assignments/a1/knn.ipynb of ``repo`` filled in with the reference answers (a student's work)."""
    from dl4cv_grader import nbhygiene, samples

    path = repo / "assignments" / "a1" / "knn.ipynb"
    text = nbhygiene.dumps(samples.fill(samples.released(repo=repo), samples.reference_sources(repo=repo)))
    path.write_text(text, encoding="utf-8")
    return path, text


@pytest.mark.slow
def test_a_filled_in_release_is_kept_by_release_and_ignored_by_the_demo(tmp_path):
    from dl4cv_grader import samples
    from dl4cv_grader.release import fresh_view

    repo = _copy_repo(tmp_path / "repo")
    committed = (repo / "assignments" / "a1" / "knn.ipynb").read_text()
    path, filled = _filled_knn(repo)
    view = fresh_view("a1", tmp_path / "view", repo=repo)  # what the demo builds its samples from
    assert (view / "assignments" / "a1" / "knn.ipynb").read_text() == committed
    blank = samples.make("blank", tmp_path / "sub", repo=view).path.read_text()
    assert blank == committed and "raise NotImplementedError" in blank

    result = release("a1", repo=repo)
    assert path.read_text() == committed  # the release is restored ...
    copy = result.kept[path]  # ... and the student's work kept, outside the tracked tree
    assert copy.read_text() == filled and copy.is_relative_to(repo / ".work")
    assert copy.name.startswith("knn.ipynb.local-") and copy.suffix == ".ipynb"
    assert list(result.kept) == [path]  # the untouched notebooks were not copied


def test_only_edits_that_no_release_made_are_kept(tmp_path):
    from dl4cv_grader.release import _keep_local_edits, _sha256

    path = tmp_path / "assignments" / "a1" / "knn.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text("committed")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "release"]):
        subprocess.run(git + args, check=True)
    assert _keep_local_edits(path, "committed", tmp_path, {}) is None  # the committed release
    fingerprints = {"assignments/a1/knn.ipynb": _sha256("released since")}
    assert _keep_local_edits(path, "released since", tmp_path, fingerprints) is None  # the last release
    path.write_text("a student's work")
    copy = _keep_local_edits(path, "a student's work", tmp_path, fingerprints)
    assert copy.read_text() == "a student's work"
    assert copy.parent == tmp_path / ".work" / "kept" / "assignments" / "a1"
