"""``dl4cv-grade release``: solutions/<a>/ -> assignments/<a>/ with real nbgrader, plus manifests.

1. the source notebooks are normalised (nbhygiene);
2. nbgrader's ``generate_assignment`` (configured by ``autograder/nbgrader_config.py``) clears
   solutions and hidden tests into a scratch folder; with ``course_dir`` it also records the
   assignment's cells in that course's gradebook, as nbgrader always does;
3. the released notebooks are normalised and, with both manifests, compared with or written
   to ``assignments/<a>/``, ``autograder/manifests/<a>.json`` and
   ``lib/dl4cv/assignments_manifest/<a>.json``.

``check=True`` writes nothing and lists every file that would change (CI runs this).

A released notebook on disk that differs from what a release wrote (the committed file, or the
sha256 the last release recorded in the git-ignored ``.work/release-fingerprints.json``) holds
someone's edits, e.g. a student who filled it in: release keeps a copy under ``.work/kept/``
and says so before replacing it. ``fresh_view`` generates the release into a scratch folder,
for code that must never read a working tree's copies (the demo's sample submissions).
"""
import datetime
import difflib
import functools
import hashlib
import json
import logging
import os
import shutil
import subprocess
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
    kept: dict = field(default_factory=dict)  # replaced notebook -> the copy of its local edits

    @property
    def up_to_date(self):
        return not self.differences


def alembic_on_path():
    """nbgrader creates a gradebook by running the ``alembic`` script of its environment.

    It runs it (``alembic heads``, a new Python process: seconds under load) for every new
    gradebook, and a release makes one; the schema version it asks for is fixed for the
    installed nbgrader, so it is asked once per process and remembered.
    """
    import nbgrader.api

    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)


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


def _generate(assignment, repo, course_dir):
    """{file name: released text} of ``assignment``'s notebooks, and the full manifest."""
    sources = sorted((repo / "solutions" / assignment).glob("*.ipynb"))
    texts, entries = {}, {}
    with tempfile.TemporaryDirectory(prefix="dl4cv-release-") as tmp:
        nbgrader_generate(assignment, repo, Path(tmp) / "release", course_dir)
        for path in sources:
            released = nbhygiene.normalise(
                nbformat.read(Path(tmp) / "release" / assignment / path.name, as_version=4))
            source_nb = nbhygiene.normalise(nbformat.read(path, as_version=4))
            texts[path.name] = nbhygiene.dumps(released)
            entries[path.stem] = manifest.build_notebook(source_nb, released)
    return texts, {"assignment": assignment, "notebooks": entries}


def fresh_view(assignment, folder, repo=REPO):
    """Lay out ``folder`` like the repository for ``assignment``: ``solutions`` (a link to the
    repository's) and ``assignments/<a>/`` generated now, not copied from the working tree."""
    repo, folder = Path(repo), Path(folder)
    texts, _ = _generate(assignment, repo, None)
    (folder / "assignments" / assignment).mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / "assignments" / assignment / name).write_text(text, encoding="utf-8")
    (folder / "solutions").symlink_to(repo / "solutions", target_is_directory=True)
    return folder


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _committed(path, repo):
    """The text of ``path`` in the repository's HEAD commit, or None (no git, or not committed)."""
    try:
        run = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path.relative_to(repo).as_posix()}"],
                             capture_output=True, encoding="utf-8", errors="replace")
    except OSError:
        return None
    return run.stdout if run.returncode == 0 else None


def _keep_local_edits(path, old, repo, fingerprints):
    """If ``old`` (the text at ``path``) is not what a release wrote, copy it aside; -> the copy."""
    rel = path.relative_to(repo).as_posix()
    if _sha256(old) == fingerprints.get(rel) or old == _committed(path, repo):
        return None
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    copy = repo / ".work" / "kept" / path.parent.relative_to(repo) / f"{path.name}.local-{stamp}.ipynb"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, copy)
    return copy


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

    texts, full = _generate(assignment, repo, course_dir)
    wanted = {repo / "assignments" / assignment / name: text for name, text in texts.items()}
    wanted[repo / "autograder" / "manifests" / f"{assignment}.json"] = manifest.dumps(full)
    wanted[repo / "lib" / "dl4cv" / "assignments_manifest" / f"{assignment}.json"] = manifest.dumps(
        manifest.student_view(full))

    fingerprint_file = repo / ".work" / "release-fingerprints.json"
    fingerprints = json.loads(fingerprint_file.read_text()) if fingerprint_file.is_file() else {}
    for path, text in wanted.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        if check:
            result.differences += _diff(path.relative_to(repo), old, text)
            continue
        if path.suffix == ".ipynb":
            if old is not None and (copy := _keep_local_edits(path, old, repo, fingerprints)):
                result.kept[path] = copy
            fingerprints[path.relative_to(repo).as_posix()] = _sha256(text)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        result.written.append(path)
    if result.written and not check:
        fingerprint_file.parent.mkdir(exist_ok=True)
        fingerprint_file.write_text(json.dumps(fingerprints, indent=1, sort_keys=True) + "\n")
    return result
