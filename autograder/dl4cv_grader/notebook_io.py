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

Cells are mapped to tasks by :func:`dl4cv.submit.map_cells` with the instructor's manifest
(never the submission's own nbgrader metadata, which is only a hint).
"""
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dl4cv.submit import map_cells, read_cells

MB = 1024 * 1024
SOFT_CAP = 20 * MB
HARD_CAP = 100 * MB
CELL_OUTPUT_CAP = 1 * MB


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


def file_sha256(path):
    """sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MB), b""):
            digest.update(block)
    return digest.hexdigest()


def _fail(sub, flag, message):
    sub.flags.append(flag)
    sub.fatal = message
    return sub


def read_submission(path, soft_cap=SOFT_CAP, hard_cap=HARD_CAP, cell_output_cap=CELL_OUTPUT_CAP):
    """Read ``path`` (see the module docstring); never raises for a bad file."""
    path = Path(path)
    sub = Submission(path)
    if path.is_symlink() or not path.is_file():
        return _fail(sub, "not_a_file", f"{path.name} is not a regular file")
    sub.size = os.path.getsize(path)
    sub.sha256 = file_sha256(path)
    if sub.size > hard_cap:
        return _fail(sub, "too_large", (
            f"{path.name} is {sub.size / MB:.0f} MB, over the {hard_cap / MB:.0f} MB limit: clear "
            "all outputs (Edit > Clear Outputs of All Cells), save, and submit again"))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        nb = json.loads(text)
    except UnicodeDecodeError:
        return _fail(sub, "not_utf8", f"{path.name} is not UTF-8 text, so not a notebook file")
    except json.JSONDecodeError as exc:
        return _fail(sub, "invalid_json", (
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "the file was damaged, e.g. edited by hand or truncated. Reopen it in Jupyter: if it "
            "does not open, resubmit a saved copy"))
    del raw, text
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", nb.get("worksheets")), list):
        return _fail(sub, "not_a_notebook", f"{path.name} is JSON but not a Jupyter notebook")
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
        _fail(sub, "bad_nbformat", f"{sub.path.name} has nbformat {version!r}, which cannot be read "
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
