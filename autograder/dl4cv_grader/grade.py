"""Grade one submitted notebook: read, map, run the hidden checks in the sandbox, record.

The code that runs, in order (each a ``CodeCell`` for the sandbox runner):

1. ``prelude``: the imports the checks' modules declare (``PRELUDE``) and the instructor's
   own source of the locked cells tagged ``grading-prelude`` (for knn: the
   ``KNearestNeighbor`` class); never the setup cell's data loading or experiments;
2. the student's solution cells of the graded tasks, in the manifest's order, as mapped by
   ``notebook_io`` (never the student's own test or scratch cells, never ungraded tasks),
   one ``CodeCell`` per notebook cell, as plain Python (``magics.python_source``).

The checks then call into that namespace through the sandbox. The results record (a plain
dict, written as JSON by the batch) holds per check: id, task, grade cell, score, max score,
status, message, seconds, flags; plus the mapping notes, reading flags and the isolation used.
"""
import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from dl4cv.submit import identify, task_problem

from dl4cv_grader import checks, formgrade, integrity, manifest as manifests, notebook_io
from dl4cv_grader.fingerprint import notebook_fingerprint as manifest_digest
from dl4cv.magics import python_source
from dl4cv_grader.manifest import REPO
from dl4cv_grader.results import CheckResult
from dl4cv_grader.runner import Check, CodeCell, Limits, run_checks
from dl4cv_grader.sandbox import plan

RECORD_SCHEMA = 1


def build_cells(notebook_manifest, found):
    """The CodeCells to run (see the module docstring). ``found``: grade_id -> Found."""
    preludes = []
    for task in notebook_manifest["tasks"].values():
        for check in task["checks"]:
            text = checks.prelude(check["id"])
            if text and text not in preludes:
                preludes.append(text)
    preludes += [c["prelude"] for c in notebook_manifest["cells"] if c.get("prelude")]
    cells = [CodeCell("prelude", python_source("\n\n".join(preludes)), student=False)]
    for gid in manifests.task_order(notebook_manifest):
        # Each notebook cell of a (split) task is run on its own, as Jupyter does: joined, a
        # second part's ``from __future__`` import would no longer come first.
        cells += [CodeCell(gid, python_source(part.source)) for part in found[gid].cells]
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
    (:func:`formgrade.view`).

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
        "isolation": None, "cell_errors": {}, "flags": [], "flag_notes": [],
    }
    # Why the file gives no grade (a notebook_io.REASONS name, "" if graded) and the sentence.
    record["ungradable"], record["reason"] = (sub.flags[-1], sub.fatal) if sub.fatal else ("", "")
    found = {}
    release_path = Path(repo) / "assignments" / assignment / f"{notebook}.ipynb"
    if sub.fatal:
        results = _unreadable(nb_manifest, sub.fatal, sub.flags[-1])
        notes.append(sub.fatal)
        _add_flags(record, [], _folder_flags(path, assignment))
    else:
        mapping, code = notebook_io.map_submission(sub, nb_manifest)
        found = mapping.found
        record["mapping"] = mapping.notes
        record["changed_locked"] = mapping.changed_locked
        problems = task_problems(nb_manifest, found)
        runnable, skipped = [], []
        for check in _checks_for(nb_manifest, code):
            (skipped if checks.get(check.check_id).task in problems else runnable).append(check)
        with checks.salted(submission_salt(salt, sub.sha256)):
            run = run_checks([c for c in build_cells(nb_manifest, found) if c.task_id not in problems], runnable,
                             limits=limits or Limits(), isolation=isolation,
                             hidden_paths=[str(p) for p in hidden_paths] + withheld_paths(nb_manifest),
                             seed=submission_salt(salt, sub.sha256))
        results = explain(run.results, nb_manifest, problems) + [
            CheckResult(c.check_id, 0.0, c.points, "error", problems[checks.get(c.check_id).task])
            for c in skipped]
        record["isolation"] = run.isolation
        record["cell_errors"] = dict(run.cell_errors)
        flags = [(f, f"{integrity.FLAGS[f]} (task {gid})") for gid in nb_manifest["tasks"]
                 for f in integrity.scan(code.source(gid))]
        released = nbformat.read(release_path, as_version=4)
        flags += integrity.notebook_flags(sub.nb, nb_manifest, released) + integrity.status_flags(results)
        _add_flags(record, run.flags, flags + _folder_flags(path, assignment))
    _add_scores(record, nb_manifest, results, found)
    return record, formgrade.view(sub, found, release_path, record["checks"])


def task_problems(notebook_manifest, found):
    """grade_id -> why the task's checks cannot run (missing, does not parse, renamed), for
    the graded tasks that have such a problem (:func:`dl4cv.submit.task_problem`)."""
    entries = {e["grade_id"]: e for e in notebook_manifest["cells"] if e["kind"] == "solution"}
    problems = {gid: task_problem(entries[gid], found[gid]) for gid in notebook_manifest["tasks"]}
    return {gid: why for gid, why in problems.items() if why}


def explain(results, notebook_manifest, problems):
    """``results`` with the message of a check that failed for a name a broken task defines
    (``X is not defined``) replaced by that task's problem: the student learns the cause."""
    names = {name: problems[gid] for gid in problems for e in notebook_manifest["cells"]
             if e.get("grade_id") == gid for name in e.get("defines") or []}
    for result in results:
        for name, why in names.items():
            if result.status == "error" and re.search(rf"\b{re.escape(name)}'? is not defined", result.message):
                result.message = f"this check calls {name}, and {why}"
                break
    return results


def _folder_flags(path, assignment):
    """Flags for the files beside a collected submission (``submitted/<student>/<assignment>/``);
    none for a notebook graded where it lies (``self``), whose folder is the student's own."""
    folder = Path(path).parent
    if folder.name != assignment or folder.parent.parent.name != "submitted":
        return []
    return integrity.folder_flags(folder)


def _add_flags(record, run_flags, flags):
    """``record["flags"]``: the worker's flags and ``flags`` ((name, note) pairs), sorted;
    ``record["flag_notes"]``: one line per named flag, "name: what was seen"."""
    record["flags"] = sorted(set(run_flags) | {flag for flag, _ in flags})
    notes = {}
    for flag, note in flags:
        notes.setdefault(flag, note)
    record["flag_notes"] = [f"{flag}: {note}" for flag, note in sorted(notes.items())]


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
