"""What each student folder under ``<course>/submitted`` holds for an assignment.

Nothing is read through a link: every path is looked at with ``lstat`` first
(``notebook_io.what_is_there``). Every entry of ``submitted/`` is a student, except hidden
names (``.x``) and plain files; a student entry that is not a real folder (a link, say), or a
student without a real ``<assignment>`` folder, gets the reason for each notebook. For each
notebook the assignment expects, :func:`inventory` gives one ``Entry``: the file to grade, or
the reason there is none (one of ``notebook_io.REASONS``) with a sentence naming what was
found and what to do. So every student ends with one record per notebook.

Renamed files, by this rule (deterministic; the first step that applies decides):

1. ``<notebook>.ipynb`` itself, whatever it is (a folder there is reported as a folder);
   other candidates beside it are named in a note and not graded.
2. Otherwise the *candidates* (names holding ``.ipynb`` in any case, not hidden) whose name
   means the notebook: the name case-folded and cut at its first ``.ipynb`` (so
   ``knn.ipynb.json`` and ``KNN.IPYNB`` count), with copy suffixes taken off the end one at a
   time (`` (1)``, ``-2``, ``_3``, `` copy``, ``_copy 2``, `` - Copy``) until it is a notebook's
   name; spaces and ``-`` read as ``_``. One such file is graded, with the note "graded
   knn (1).ipynb as knn.ipynb"; several are refused as ``ambiguous``, naming them.
3. Otherwise a candidate whose name means no notebook of the assignment is read (bounded,
   like any submission) and identified by its cells (``dl4cv.submit.identify``, the rule
   students' ``check`` uses). One is graded with a note; several are ``ambiguous``.
4. Otherwise ``missing``, naming the candidates that matched nothing.
"""
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from dl4cv.submit import identify

from dl4cv_grader.notebook_io import printable, read_submission, what_is_there

_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|[\s_-]+copy(\s*\(?\d+\)?)?|[\s_-]+\d+)$")


@dataclass
class Entry:
    """One expected notebook of one student: a file to grade, or why there is none."""

    student: str
    notebook: str
    path: Path  # the file graded or looked at (the expected path when nothing is there)
    reason: str = ""  # "" = grade ``path``; else one of notebook_io.REASONS
    message: str = ""  # the reason in words: what was found, what to do
    note: str = ""  # how a renamed file was picked up, or what else was beside it


def _normal(name):
    return re.sub(r"[\s-]+", "_", name.strip().casefold())


def notebook_for_name(filename, notebooks):
    """The notebook of ``notebooks`` that the file name ``filename`` means (rule step 2), or
    None; a name without ``.ipynb`` or a hidden name means none."""
    folded = filename.casefold()
    if folded.startswith(".") or ".ipynb" not in folded:
        return None
    names = {_normal(nb): nb for nb in notebooks}
    stem = folded[:folded.index(".ipynb")]
    while True:
        if _normal(stem) in names:
            return names[_normal(stem)]
        shorter = _COPY_SUFFIX.sub("", stem)
        if shorter == stem or not shorter.strip():
            return None
        stem = shorter


def student_folders(course_dir, students=None):
    """``[(student, path)]``: every student entry of ``<course>/submitted``, sorted."""
    root = Path(course_dir) / "submitted"
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.is_file(follow_symlinks=False):
            continue
        if students and entry.name not in students:
            continue
        found.append((entry.name, Path(entry.path)))
    return found


def _not_a_folder(path, label):
    """None if ``path`` is a real folder, else (reason, message)."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            return None
    except OSError:
        pass
    problem = what_is_there(path) or ("not_a_folder", f"{printable(path.name)} is a file")
    if problem[0] == "missing":
        return "missing", f"there is no {label} folder: nothing was submitted"
    return problem[0], f"{label} should be a folder, but {problem[1]}"


def inventory(course_dir, assignment, manifest, students=None):
    """``[Entry]``: one per (student folder, notebook of ``assignment``), sorted."""
    entries = []
    for student, folder in student_folders(course_dir, students):
        label = f"submitted/{printable(student)}"
        problem = _not_a_folder(folder, label) or _not_a_folder(folder / assignment,
                                                                f"{label}/{assignment}")
        if problem:
            entries += [Entry(student, nb, folder / assignment / f"{nb}.ipynb", *problem)
                        for nb in manifest["notebooks"]]
            continue
        entries += _student_entries(student, folder / assignment, manifest, f"{label}/{assignment}")
    return entries


def _student_entries(student, folder, manifest, label):
    names = sorted(e.name for e in os.scandir(folder))
    notebooks = list(manifest["notebooks"])
    by_name = {nb: [] for nb in notebooks}
    unnamed = []
    for name in names:
        nb = notebook_for_name(name, notebooks)
        if nb is not None:
            by_name[nb].append(name)
        elif not name.startswith(".") and ".ipynb" in name.casefold():
            unnamed.append(name)
    by_cells = {nb: [] for nb in notebooks}
    for name in unnamed:
        sub = read_submission(folder / name)
        nb = None if sub.fatal else identify(folder / name, sub.cells, manifest)[0]
        if nb is not None:
            by_cells[nb].append(name)
    unknown = [n for n in unnamed if not any(n in found for found in by_cells.values())]
    return [_choose(student, nb, folder, label, by_name[nb], by_cells[nb], unknown) for nb in notebooks]


def _choose(student, nb, folder, label, named, identified, unknown):
    """The Entry of notebook ``nb`` from the candidate names (rule steps 1-4)."""
    expected, shown = f"{nb}.ipynb", lambda names: ", ".join(printable(n) for n in names)
    if expected in named:
        others = [n for n in named if n != expected]
        note = f"also found {shown(others)}, not graded: only {expected} is" if others else ""
        return _entry(student, nb, folder / expected, note)
    for candidates, how in ((named, "its name"), (identified, "its cells")):
        if len(candidates) == 1:
            note = f"graded {printable(candidates[0])} as {expected} (recognised by {how})"
            return _entry(student, nb, folder / candidates[0], note)
        if candidates:
            return Entry(student, nb, folder / expected, "ambiguous", (
                f"found several files that could be {expected}: {shown(candidates)}; keep one, "
                f"named {expected}, and grade again"))
    found = f"; found {shown(unknown)}, which is no notebook of this assignment" if unknown else ""
    return Entry(student, nb, folder / expected, "missing", (
        f"no {expected} in {label}{found}; if it was submitted, put it there as {expected} and "
        "grade again"))


def _entry(student, nb, path, note):
    problem = what_is_there(path)
    return Entry(student, nb, path, *(problem or ("", "")), note=note)
