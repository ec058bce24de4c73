"""The instructor's course folder: made by ``dl4cv-grade course init``, found by every command.

A course folder holds nbgrader's layout (``submitted/``, ``autograded/``, ``feedback/``,
``gradebook.db``), dl4cv's results records (``dl4cv_records/``) and its own
``nbgrader_config.py``, so that ``jupyter lab`` started in it shows formgrader with the course.
It lives outside the repository (default ``~/dl4cv-course``) or under the clone's git-ignored
``course/``, so that student work can never be committed by accident.

``collect``, ``grade``, ``feedback`` and ``export`` use ``--course-dir``, else
``$DL4CV_COURSE_DIR``, else the nearest folder at or above the current one that ``init`` made.
"""
import os
from pathlib import Path

from dl4cv import shell

from dl4cv_grader.manifest import REPO

DEFAULT = Path("~/dl4cv-course")
CONFIG = "nbgrader_config.py"
_MARKER = "# dl4cv course folder, made by `dl4cv-grade course init`"


def is_course(folder):
    """True when ``folder`` holds a nbgrader_config.py written by ``init``."""
    try:
        return (Path(folder) / CONFIG).read_text(encoding="utf-8").startswith(_MARKER)
    except OSError:
        return False


def _check_outside_repo(folder, repo):
    """Refuse a course folder in the tracked part of the repository (``course/`` is ignored)."""
    if folder.is_relative_to(repo) and not folder.is_relative_to(repo / "course"):
        raise ValueError(f"{folder} is inside the course repository, where student work could be "
                         f"committed: use a folder outside it (default {DEFAULT}) or under "
                         f"{repo / 'course'} (ignored by git)")


def config_text(folder, repo=REPO):
    """The nbgrader_config.py of the course folder ``folder``."""
    db = f"sqlite:///{folder / 'gradebook.db'}"
    return f"""{_MARKER} (run it again to update this file).
# `jupyter lab` started here shows formgrader with this course; dl4cv-grade commands run here or
# below use it. The shared settings (solution and hidden-test markers) come from the repository.
c = get_config()  # noqa: F821  (injected by traitlets)
load_subconfig({str(repo / 'autograder' / CONFIG)!r})  # noqa: F821
c.CourseDirectory.root = {str(folder)!r}
c.CourseDirectory.source_directory = {str(repo / 'solutions')!r}
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = {db!r}
# No nbgrader exchange: submissions come in with `dl4cv-grade collect` (an LMS export or a folder).
"""


def assignments(repo=REPO):
    """The assignments the repository has source notebooks for, e.g. ``["a1"]``."""
    return sorted({p.parent.name for p in Path(repo).glob("solutions/*/*.ipynb")})


def init(folder=None, repo=REPO):
    """Make (or update) a course folder and record every assignment in its gradebook; -> its path."""
    from dl4cv_grader import gradebook  # nbgrader: only when a course is made

    repo = Path(repo).resolve()
    folder = Path(folder or DEFAULT).expanduser().resolve()
    _check_outside_repo(folder, repo)
    config = folder / CONFIG
    if config.exists() and not is_course(folder):
        raise FileExistsError(f"{config} exists and was not made by `dl4cv-grade course init`; "
                              f"choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    config.write_text(config_text(folder, repo), encoding="utf-8")
    for assignment in assignments(repo):
        gradebook.register(assignment, folder, repo)
    return folder


def find(explicit=None, repo=REPO):
    """The course folder a command works in (see the module docstring)."""
    chosen = explicit or os.environ.get("DL4CV_COURSE_DIR", "").strip()
    if chosen:
        folder = Path(chosen).expanduser().resolve()
        _check_outside_repo(folder, Path(repo).resolve())
        return folder
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if is_course(folder):
            return folder
    raise FileNotFoundError(
        f"no course folder at or above {here}: make one with "
        f"`{shell.script('dl4cv-grade')} course init [DIR]` (default {DEFAULT}) and run the "
        f"command inside it, or pass --course-dir DIR (or set DL4CV_COURSE_DIR)")
