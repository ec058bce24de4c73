"""``dl4cv-grade release``: solutions/<a>/ -> assignments/<a>/ with real nbgrader, plus manifests.

1. the source notebooks are normalised (nbhygiene);
2. nbgrader's ``generate_assignment`` (configured by ``autograder/nbgrader_config.py``) clears
   solutions and hidden tests into a scratch folder; with ``course_dir`` it also records the
   assignment's cells in that course's gradebook, as nbgrader always does;
3. the released notebooks are normalised and, with both manifests, compared with or written
   to ``assignments/<a>/``, ``autograder/manifests/<a>.json`` and
   ``lib/dl4cv/assignments_manifest/<a>.json``.

``check=True`` writes nothing and lists every file that would change (CI runs this).
"""
import difflib
import logging
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dl4cv_grader import manifest, nbhygiene
from dl4cv_grader.manifest import REPO


@dataclass
class ReleaseResult:
    """What a release wrote (or, with check=True, what differs)."""

    written: list = field(default_factory=list)  # paths changed on disk
    differences: list = field(default_factory=list)  # human-readable lines (check mode)

    @property
    def up_to_date(self):
        return not self.differences


def alembic_on_path():
    """nbgrader creates a gradebook by running the ``alembic`` script of its environment."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def nbgrader_generate(assignment, repo, release_dir, course_dir):
    """Run nbgrader's generate_assignment from ``repo/solutions`` into ``release_dir``."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(repo / "autograder")).load_config()
    cfg.CourseDirectory.root = str(repo)
    cfg.CourseDirectory.release_directory = str(release_dir)
    cfg.CourseDirectory.assignment_id = assignment
    cfg.GenerateAssignment.force = True
    # nbgrader records the cells in a gradebook in any case: a scratch one without a course.
    db_dir = Path(course_dir) if course_dir is not None else Path(release_dir)
    db_dir.mkdir(parents=True, exist_ok=True)
    cfg.CourseDirectory.db_url = f"sqlite:///{db_dir.resolve() / 'gradebook.db'}"
    alembic_on_path()
    log = logging.getLogger("dl4cv_grader.nbgrader")
    log.setLevel(logging.WARNING)
    converter = GenerateAssignment(coursedir=CourseDirectory(config=cfg), config=cfg, log=log)
    converter.start()


def _diff(path, old, new):
    if old is None:
        return [f"{path}: missing (would be created)"]
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0))
    changed = sum(1 for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    return [f"{path}: {changed} changed lines, first: {next((x for x in lines[2:] if x[:1] in '+-'), '')[:120]}"]


def release(assignment, repo=REPO, course_dir=None, check=False):
    """Release ``assignment`` (e.g. ``"a1"``); see the module docstring. Returns ReleaseResult."""
    repo = Path(repo)
    source_dir = repo / "solutions" / assignment
    sources = sorted(source_dir.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks in {source_dir}; author the assignment there first")
    result = ReleaseResult()
    for path in sources:
        if check:
            result.differences += [f"{path.relative_to(repo)}: {p}" for p in nbhygiene.problems(path)]
        elif nbhygiene.normalise_file(path):
            result.written.append(path)

    wanted = {}
    entries = {}
    with tempfile.TemporaryDirectory(prefix="dl4cv-release-") as tmp:
        nbgrader_generate(assignment, repo, Path(tmp) / "release", course_dir)
        for path in sources:
            released = nbhygiene.normalise(
                nbformat.read(Path(tmp) / "release" / assignment / path.name, as_version=4))
            source_nb = nbhygiene.normalise(nbformat.read(path, as_version=4))
            wanted[repo / "assignments" / assignment / path.name] = nbhygiene.dumps(released)
            entries[path.stem] = manifest.build_notebook(source_nb, released)
    full = {"assignment": assignment, "notebooks": entries}
    wanted[repo / "autograder" / "manifests" / f"{assignment}.json"] = manifest.dumps(full)
    wanted[repo / "lib" / "dl4cv" / "assignments_manifest" / f"{assignment}.json"] = manifest.dumps(
        manifest.student_view(full))

    for path, text in wanted.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        if check:
            result.differences += _diff(path.relative_to(repo), old, text)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            result.written.append(path)
    return result
