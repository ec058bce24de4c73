"""Grade one submitted notebook: read, map, run the hidden checks in the sandbox, record.

The code that runs, in order (each a ``CodeCell`` for the sandbox runner):

1. ``prelude``: the imports the checks' modules declare (``PRELUDE``) and the instructor's
   own source of the locked cells tagged ``grading-prelude`` (for knn: the
   ``KNearestNeighbor`` class); never the setup cell's data loading or experiments;
2. the student's solution cells of the graded tasks, in the manifest's order, as mapped by
   ``notebook_io`` (never the student's own test or scratch cells, never ungraded tasks).

The checks then call into that namespace through the sandbox. The results record (a plain
dict, written as JSON by the batch) holds per check: id, task, grade cell, score, max score,
status, message, seconds, flags; plus the mapping notes, reading flags and the isolation used.
"""
import hashlib
import importlib
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from dl4cv.submit import identify

from dl4cv_grader import checks, integrity, manifest as manifests, notebook_io
from dl4cv_grader.manifest import REPO
from dl4cv_grader.results import CheckResult
from dl4cv_grader.runner import Check, CodeCell, Limits, run_checks
from dl4cv_grader.sandbox import plan

RECORD_SCHEMA = 1


def manifest_digest(notebook_manifest):
    """A short hash of what grading one notebook depends on: its manifest entry and the source
    of its check modules. Records made under another digest are graded again; changes to
    other notebooks of the assignment do not count."""
    digest = hashlib.sha256(manifests.dumps(notebook_manifest).encode())
    modules = sorted({checks.get(c["id"]).fn.__module__
                      for task in notebook_manifest["tasks"].values() for c in task["checks"]})
    for module in modules:
        digest.update(Path(importlib.import_module(module).__file__).read_bytes())
    return digest.hexdigest()[:16]


def build_cells(notebook_manifest, found):
    """The CodeCells to run (see the module docstring). ``found``: grade_id -> Found."""
    preludes = []
    for task in notebook_manifest["tasks"].values():
        for check in task["checks"]:
            text = checks.prelude(check["id"])
            if text and text not in preludes:
                preludes.append(text)
    preludes += [c["prelude"] for c in notebook_manifest["cells"] if c.get("prelude")]
    cells = [CodeCell("prelude", "\n\n".join(preludes), student=False)]
    for gid in manifests.task_order(notebook_manifest):
        if found[gid].cells:
            cells.append(CodeCell(gid, found[gid].source))
    return cells


def withheld_paths(notebook_manifest):
    """Host paths of the library modules the notebook's check modules keep out of the sandbox."""
    modules = {m for task in notebook_manifest["tasks"].values() for c in task["checks"]
               for m in checks.sandbox_without(c["id"])}
    return [p for module in sorted(modules) for p in plan.module_paths(module)]


def _checks_for(notebook_manifest, code):
    out = []
    for gid in manifests.task_order(notebook_manifest):
        for check in notebook_manifest["tasks"][gid]["checks"]:
            spec = checks.get(check["id"])
            out.append(Check(check["id"], check["points"], lambda student, fn=spec.fn: fn(student, code)))
    return out


def _unreadable(notebook_manifest, message, flag):
    """Zero results for every check of a notebook that could not be read."""
    return [CheckResult(check["id"], 0.0, check["points"], "error", message, 0.0, [flag])
            for task in notebook_manifest["tasks"].values() for check in task["checks"]]


def submission_salt(course_salt, sha256):
    """The salt of one submission's checks: 0 when ``course_salt`` is 0, else a 63-bit int
    derived from the course salt and the submission's sha256 (same file, same inputs)."""
    if not course_salt:
        return 0
    digest = hashlib.sha256(f"{course_salt}:{sha256}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def grade_file(path, assignment, student="", manifest=None, notebook=None, limits=None,
               isolation="auto", hidden_paths=(), timestamp=None, repo=REPO, salt=0, sub=None):
    """Grade the notebook file ``path``; returns ``(record, view)``.

    ``record`` is the results record (a dict); ``view`` the notebook for formgrader
    (:func:`formgrade_view`).

    Inputs:
    - path: the submitted .ipynb.
    - assignment: e.g. ``"a1"``; student: the student id for the record.
    - manifest: the instructor's manifest (default: ``autograder/manifests/<assignment>.json``).
    - notebook: which notebook of the assignment this is (default: by name, else by cells).
    - limits, isolation: passed to the sandbox runner.
    - hidden_paths: folders the sandbox must not see (course dir, other submissions, ...).
    - timestamp: submission time (str), copied to the record.
    - salt: a batch passes its course's secret (``batch.course_salt``); mixed with the
      submission's sha256 into every check's inputs (:func:`submission_salt`), so the inputs
      cannot be computed from the public checks, nor carried over from one submission's
      feedback to the next. 0 (``self``): the public inputs.
    - sub: the file as already judged (``notebook_io.Submission``); default: read ``path``.
    """
    manifest = manifest or manifests.load(assignment)
    sub = sub or notebook_io.read_submission(path)
    notes = list(sub.notes)
    if notebook is None:
        notebook, renamed = identify(path, sub.cells, manifest)
        if renamed:
            notes.append(f"the file {Path(path).name} was identified as {notebook}.ipynb by its cells")
        if notebook is None:
            unreadable = f" (it could not be read: {sub.fatal})" if sub.fatal else ""
            raise ValueError(f"cannot tell which notebook of {assignment} {Path(path).name} is{unreadable}; "
                             f"name the file after it or pass --notebook, one of: "
                             f"{', '.join(manifest['notebooks'])}")
    if notebook not in manifest["notebooks"]:
        raise ValueError(f"{assignment} has no notebook {notebook!r}; it has: {', '.join(manifest['notebooks'])}")
    nb_manifest = manifest["notebooks"][notebook]
    record = {
        "schema": RECORD_SCHEMA, "assignment": assignment, "notebook": notebook, "student": student,
        "submission": str(path), "submission_sha256": sub.sha256, "timestamp": timestamp,
        "manifest": manifest_digest(nb_manifest), "graded_at": datetime.now(timezone.utc).isoformat(),
        "read_flags": sub.flags, "notes": notes, "mapping": [], "changed_locked": [],
        "isolation": None, "cell_errors": {}, "flags": [],
    }
    # Why the file gives no grade (a notebook_io.REASONS name, "" if graded) and the sentence.
    record["ungradable"], record["reason"] = (sub.flags[-1], sub.fatal) if sub.fatal else ("", "")
    found = {}
    release_path = Path(repo) / "assignments" / assignment / f"{notebook}.ipynb"
    view = nbformat.read(release_path, as_version=4)
    if sub.fatal:
        results = _unreadable(nb_manifest, sub.fatal, sub.flags[-1])
        notes.append(sub.fatal)
    else:
        mapping, code = notebook_io.map_submission(sub, nb_manifest)
        found = mapping.found
        record["mapping"] = mapping.notes
        record["changed_locked"] = mapping.changed_locked
        with checks.salted(submission_salt(salt, sub.sha256)):
            run = run_checks(build_cells(nb_manifest, found), _checks_for(nb_manifest, code),
                             limits=limits or Limits(), isolation=isolation,
                             hidden_paths=[str(p) for p in hidden_paths] + withheld_paths(nb_manifest))
        results = run.results
        record["isolation"] = run.isolation
        record["cell_errors"] = dict(run.cell_errors)
        static = {flag for gid in nb_manifest["tasks"] for flag in integrity.scan(code.source(gid))
                  if code.source(gid)}
        record["flags"] = sorted(set(run.flags) | static | set(integrity.status_flags(results)))
        view = formgrade_view(sub, found, release_path)
    _add_scores(record, nb_manifest, results, found)
    return record, view


def _add_scores(record, nb_manifest, results, found):
    by_id = {r.check_id: r for r in results}
    record["checks"], grade_cells = [], {}
    for gid in manifests.task_order(nb_manifest):
        for check in nb_manifest["tasks"][gid]["checks"]:
            row = dict(by_id[check["id"]].to_dict(), task=gid, grade_cell=check["grade_cell"])
            record["checks"].append(row)
            cell = grade_cells.setdefault(check["grade_cell"], {"score": 0.0, "max_score": 0.0})
            cell["score"] += row["score"]
            cell["max_score"] += row["max_score"]
    record["grade_cells"] = grade_cells
    manual = [c["grade_id"] for c in nb_manifest["cells"] if c["kind"] == "manual"]
    record["manual_cells"] = manual
    record["unanswered"] = [
        gid for gid in manual
        if gid not in found or not found[gid].cells or any(
            n["grade_id"] == gid and n["kind"] == "unchanged" for n in record["mapping"])]
    record["manual_max"] = sum(c["points"] for c in nb_manifest["cells"] if c["kind"] == "manual")
    record["score"] = round(sum(c["score"] for c in grade_cells.values()), 6)
    record["max_score"] = round(sum(c["max_score"] for c in grade_cells.values()), 6)


def formgrade_view(sub, found, release_path):
    """The notebook formgrader shows: the released notebook with the student's answers in place.

    Every grade and answer cell appears exactly once with the release's nbgrader metadata,
    whatever the student did to the layout; the student's source (and outputs, if kept) fill
    the solution and answer cells.
    """
    view = nbformat.read(release_path, as_version=4)
    for cell in view.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid not in found or not found[gid].cells:
            continue
        cell.source = found[gid].source
        raw = sub.nb["cells"][found[gid].cells[-1].index]
        if cell.cell_type == "code" and isinstance(raw.get("outputs"), list):
            cell.outputs = [nbformat.from_dict(out) for out in raw["outputs"] if _writable_output(out)]
    return view


def _writable_output(output):
    """Whether nbformat can write ``output`` (a submission's outputs may be any JSON: a string
    among them made ``nbformat.writes`` raise, and with it the whole batch)."""
    if not isinstance(output, dict):
        return False
    try:
        nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            outputs=[nbformat.from_dict(output)])]))
    except Exception:  # noqa: BLE001 -- nbformat raises many types on malformed outputs
        return False
    return True
