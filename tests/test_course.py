"""The instructor's course folder: ``dl4cv-grade course init``, found from the current directory,
listed by formgrader (nbgrader's own config loading and API), never inside the tracked repo."""
import os
import subprocess
import sys

import pytest

from dl4cv_grader import course, samples
from dl4cv_grader.manifest import REPO

GRADE = [sys.executable, "-m", "dl4cv_grader.cli"]

# What formgrader does when `jupyter lab` starts in a folder: nbgrader's app loads the config
# files of that folder, and the API lists the course from the CourseDirectory it configures.
FORMGRADER_VIEW = """
import json
from nbgrader.apps.api import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader
from nbgrader.coursedir import CourseDirectory

app = NbGrader()
app.load_config_file()
api = NbGraderAPI(coursedir=CourseDirectory(config=app.config), config=app.config)
print(json.dumps({"root": api.coursedir.root,
                  "assignments": {a["name"]: a["num_submissions"] for a in api.get_assignments()},
                  "submissions": sorted(s["student"] for s in api.get_submissions("a1"))}))
"""


def _run(args, cwd, **env):
    environment = {k: v for k, v in os.environ.items() if k != "DL4CV_COURSE_DIR"} | env
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=environment)


def _formgrader_view(folder):
    import json

    run = _run([sys.executable, "-c", FORMGRADER_VIEW], cwd=folder)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


@pytest.mark.slow
def test_a_course_made_by_init_is_used_from_its_folder_and_listed_by_formgrader(tmp_path):
    folder = tmp_path / "my course"
    made = _run(GRADE + ["course", "init", str(folder)], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert course.is_course(folder) and "jupyter lab" in made.stdout
    assert _formgrader_view(folder) == {"root": str(folder), "assignments": {"a1": 0}, "submissions": []}

    samples.make("reference", tmp_path / "export" / "ada")
    inside = folder / "submitted"  # any folder at or below the course finds it
    collected = _run(GRADE + ["collect", "a1", "--from", str(tmp_path / "export")], cwd=folder)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    graded = _run(GRADE + ["grade", "a1", "--jobs", "1"], cwd=inside)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert str(folder / "gradebook.db") in graded.stdout
    view = _formgrader_view(folder)
    assert view["assignments"] == {"a1": 1} and view["submissions"] == ["ada"]
    assert (folder / "autograded" / "ada" / "a1" / "knn.ipynb").is_file()


@pytest.mark.slow  # a grader CLI process: 10-25 s under load
def test_commands_outside_a_course_folder_say_how_to_make_one(tmp_path):
    run = _run(GRADE + ["grade", "a1"], cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "no course folder" in run.stderr and "course init" in run.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was written where the command ran


def test_the_course_is_found_from_the_environment_or_by_walking_up(tmp_path, monkeypatch):
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / course.CONFIG).write_text(course.config_text(folder))
    (folder / "deep" / "er").mkdir(parents=True)
    monkeypatch.delenv("DL4CV_COURSE_DIR", raising=False)
    monkeypatch.chdir(folder / "deep" / "er")
    assert course.find() == folder
    monkeypatch.setenv("DL4CV_COURSE_DIR", str(tmp_path / "other"))
    assert course.find() == tmp_path / "other"
    assert course.find(str(tmp_path / "given")) == tmp_path / "given"


def test_course_data_never_goes_into_the_tracked_repository(tmp_path, monkeypatch):
    monkeypatch.delenv("DL4CV_COURSE_DIR", raising=False)
    with pytest.raises(ValueError, match="inside the course repository"):
        course.find(str(REPO))
    with pytest.raises(ValueError, match="inside the course repository"):
        course.init(REPO / "submitted")
    assert course.find(str(REPO / "course" / "mine")) == REPO / "course" / "mine"  # git-ignored
    monkeypatch.chdir(REPO)  # the repository root is no course folder (autograder/ holds the base config)
    with pytest.raises(FileNotFoundError, match="course init"):
        course.find()


def test_init_does_not_take_over_a_foreign_nbgrader_config(tmp_path):
    (tmp_path / course.CONFIG).write_text("c = get_config()\n")
    with pytest.raises(FileExistsError, match="not made by `dl4cv-grade course init`"):
        course.init(tmp_path)
