"""Read a submitted notebook defensively and find the student's task cells in it.

Reading never trusts the file: it is size-capped before parsing, may be invalid JSON, an
old nbformat, lack cell ids or repeat them, or carry megabytes of outputs. Whatever comes
in, the result says what was wrong (``flags`` for the record, ``notes`` in plain words)
and, unless the file cannot be read at all, gives the cells to map.

Size policy: files up to ``soft_cap`` (20 MB) keep their outputs for the feedback, except
any single cell's outputs above ``cell_output_cap`` (1 MB), which are replaced by a note.
Files between the soft and the ``hard_cap`` (100 MB) are still parsed and graded, but all
outputs are dropped (flag ``large_file``); only files above the hard cap are refused, with a
message asking the student to clear outputs and resubmit. Grading never uses outputs.

What is read: nothing is opened before :func:`what_is_there` has looked at the path with
``lstat`` (links are never followed): only a regular file under the hard cap is opened, with
``O_NOFOLLOW | O_NONBLOCK``, checked again with ``fstat``, and read for at most cap + 1
bytes (hashing too). Everything else is refused with one of ``REASONS`` and a sentence that
names what was found and what to do. JSON nested deeper than ``MAX_DEPTH`` levels (no
notebook is) is refused as ``too_deep`` before anything walks it recursively.

Cells are mapped to tasks by :func:`dl4cv.submit.map_cells` with the instructor's manifest
(never the submission's own nbgrader metadata, which is only a hint).
"""
import errno
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dl4cv.submit import map_cells, read_cells

MB = 1024 * 1024
SOFT_CAP = 20 * MB
HARD_CAP = 100 * MB
CELL_OUTPUT_CAP = 1 * MB
MAX_DEPTH = 100  # JSON nesting; a notebook needs about 10

# Why a file gives no grade (the record's ``ungradable``; also a read flag). Before reading:
REASONS = ("missing", "directory", "not_a_folder", "symlink", "special_file", "too_large", "unreadable",
           # deciding between files (inventory.py), then after reading:
           "ambiguous", "not_utf8", "invalid_json", "too_deep", "not_a_notebook", "bad_nbformat")
_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class NotARegularFile(OSError):
    """An opened path turned out not to be a regular file (it changed after ``lstat``)."""


def printable(text):
    """``text`` with control and other unprintable characters written as escapes
    (``\\n``, ``\\x1b``), for any name from a submission that is printed or exported."""
    text = str(text)
    return text if text.isprintable() else "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


@dataclass
class Submission:
    """A read submission: parsed notebook (or None), its cells, and what was wrong."""

    path: Path
    sha256: str = ""
    size: int = 0
    nb: dict = None
    cells: list = field(default_factory=list)
    flags: list = field(default_factory=list)  # short machine-readable tags
    notes: list = field(default_factory=list)  # what a person should know, in words
    fatal: str = ""  # why the file could not be read at all (empty if it could)


def what_is_there(path, hard_cap=HARD_CAP):
    """``None`` if ``path`` is a regular file of at most ``hard_cap`` bytes, else
    ``(reason, message)`` (see ``REASONS``). Looks with ``lstat`` only: opens nothing and
    follows no link."""
    path = Path(path)
    name = printable(path.name)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing", f"there is no {name}"
    except OSError as exc:
        return "unreadable", f"{name} cannot be looked at ({exc.strerror}); check the folder's permissions"
    if stat.S_ISREG(st.st_mode):
        if st.st_size > hard_cap:
            return "too_large", (
                f"{name} is {st.st_size / MB:.1f} MB, over the {hard_cap / MB:.0f} MB limit: clear all "
                "outputs (Edit > Clear Outputs of All Cells), save, and submit again")
        return None
    if stat.S_ISDIR(st.st_mode):
        return "directory", f"{name} is a folder, not a notebook file; submit the .ipynb file itself"
    if stat.S_ISLNK(st.st_mode):
        try:
            target = f" (to {printable(os.readlink(path))!r})"
        except OSError:
            target = ""
        return "symlink", (f"{name} is a symbolic link{target}, which the grader never follows; "
                           "submit the notebook file itself")
    kind = next((what for test, what in _SPECIAL if test(st.st_mode)), "not a regular file")
    return "special_file", f"{name} is {kind}, not a notebook file; submit the .ipynb file itself"


def read_bounded(path, cap=HARD_CAP):
    """At most ``cap + 1`` bytes of the regular file ``path``, opened without following a link
    and without blocking; raises ``NotARegularFile`` or ``OSError`` (``ELOOP`` for a link)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(errno.EINVAL, "not a regular file", str(path))
        parts, left = [], cap + 1
        while left > 0:
            block = os.read(fd, min(left, MB))
            if not block:
                break
            parts.append(block)
            left -= len(block)
        return b"".join(parts)
    finally:
        os.close(fd)


def file_sha256(path, cap=HARD_CAP):
    """sha256 of the first ``cap + 1`` bytes of a regular file (as :func:`read_bounded`)."""
    return hashlib.sha256(read_bounded(path, cap)).hexdigest()


def too_deep(value, limit=MAX_DEPTH):
    """Whether parsed JSON ``value`` nests more than ``limit`` lists or dicts (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _fail(sub, flag, message):
    sub.flags.append(flag)
    sub.fatal = message
    return sub


def read_submission(path, soft_cap=SOFT_CAP, hard_cap=HARD_CAP, cell_output_cap=CELL_OUTPUT_CAP):
    """Read ``path`` (see the module docstring); never raises for a bad file."""
    path = Path(path)
    sub, name = Submission(path), printable(path.name)
    problem = what_is_there(path, hard_cap)
    if problem:
        return _fail(sub, *problem)
    try:
        raw = read_bounded(path, hard_cap)
    except OSError as exc:  # it changed since lstat (now a link, a FIFO, gone) or no permission
        return _fail(sub, "unreadable", f"{name} cannot be read ({exc.strerror}); submit it again")
    sub.size, sub.sha256 = len(raw), hashlib.sha256(raw).hexdigest()
    if sub.size > hard_cap:
        return _fail(sub, "too_large", f"{name} is over the {hard_cap / MB:.0f} MB limit: clear all "
                                       "outputs (Edit > Clear Outputs of All Cells), save, and submit again")
    deep = (f"{name} is not a notebook: nested too deeply (JSON deeper than {MAX_DEPTH} levels); "
            "submit the notebook as Jupyter saved it")
    try:
        text = raw.decode("utf-8-sig")
        nb = json.loads(text)
    except UnicodeDecodeError:
        return _fail(sub, "not_utf8", f"{name} is not UTF-8 text, so not a notebook file")
    except json.JSONDecodeError as exc:
        return _fail(sub, "invalid_json", (
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "the file was damaged, e.g. edited by hand or truncated. Reopen it in Jupyter: if it "
            "does not open, resubmit a saved copy"))
    except RecursionError:
        return _fail(sub, "too_deep", deep)
    del raw, text
    if too_deep(nb):
        return _fail(sub, "too_deep", deep)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", nb.get("worksheets")), list):
        return _fail(sub, "not_a_notebook", f"{name} is JSON but not a Jupyter notebook")
    nb = _to_v4(nb, sub)
    if nb is None:
        return sub
    _limit_outputs(nb, sub, drop_all=sub.size > soft_cap, cell_output_cap=cell_output_cap)
    sub.nb = nb
    sub.cells = read_cells(nb)
    ids = [c.id for c in sub.cells if c.id]
    if len(ids) < len(sub.cells):
        sub.flags.append("missing_cell_ids")
        sub.notes.append("some cells have no id (older Jupyter or another editor); "
                         "they are matched by their content")
    if len(set(ids)) < len(ids):
        sub.flags.append("duplicate_cell_ids")
        sub.notes.append("several cells share an id; they are matched by their content")
    return sub


def _to_v4(nb, sub):
    """Convert old notebooks to nbformat 4; returns None (and marks the failure) if impossible."""
    version = nb.get("nbformat")
    if version == 4 and isinstance(nb.get("cells"), list):
        return nb
    try:
        converted = nbformat.convert(nbformat.from_dict(nb), 4)
    except Exception as exc:  # nbformat's converters raise many types on malformed input
        _fail(sub, "bad_nbformat", f"{printable(sub.path.name)} has nbformat {version!r}, which cannot be read "
                                   f"({type(exc).__name__}); save it again with Jupyter")
        return None
    sub.flags.append("converted_nbformat")
    sub.notes.append(f"the notebook was in nbformat {version!r} and was converted to 4")
    return json.loads(json.dumps(converted))


def _limit_outputs(nb, sub, drop_all, cell_output_cap):
    """Drop outputs from a large file, or any one cell's oversized outputs."""
    dropped = 0
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or not cell.get("outputs"):
            continue
        too_big = drop_all or len(json.dumps(cell["outputs"])) > cell_output_cap
        if too_big:
            cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                "text": "[output removed by the grader: too large]\n"}]
            dropped += 1
    if drop_all:
        sub.flags.append("large_file")
        sub.notes.append(f"the file is {sub.size / MB:.0f} MB, mostly outputs; outputs were dropped "
                         "(grading does not use them)")
    elif dropped:
        sub.flags.append("large_outputs")
        sub.notes.append(f"outputs of {dropped} cell(s) were over {cell_output_cap // MB} MB and "
                         "were dropped from the feedback")


@dataclass
class TaskCode:
    """The student's source for each task, as mapped; what static checks look at."""

    sources: dict  # task grade_id -> source text ("" when missing)

    def source(self, task):
        return self.sources.get(task, "")


def map_submission(sub, notebook_manifest):
    """Map a read submission's cells to tasks; returns (Mapping, TaskCode)."""
    mapping = map_cells(sub.cells, notebook_manifest)
    code = TaskCode({gid: found.source for gid, found in mapping.found.items()})
    return mapping, code
