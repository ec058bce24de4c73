"""Assignment manifests: what the released notebooks contain, cell by cell.

``dl4cv-grade release`` writes two manifests per assignment:

- the instructor's (``autograder/manifests/<a>.json``): for each notebook, every cell with
  its id, kind, grade_id, the sha256 of its released source; solution cells with the names
  they define; grade cells with points and the hidden check ids they run; the instructor's
  source of locked cells tagged ``grading-prelude``; and ``tasks`` (the graded solution
  cells with their checks and points);
- the student's (``lib/dl4cv/assignments_manifest/<a>.json``): the same cells without check
  ids or instructor sources, for ``dl4cv.submit.check``.

Cell kinds: ``solution`` (code the student writes), ``grade`` (locked test cell with
points), ``manual`` (markdown answer graded by hand), ``locked`` (read-only code or text),
``code`` and ``markdown`` (ordinary cells).
"""
import json
import re
from pathlib import Path

from dl4cv.submit import defined_names, source_hash

from dl4cv_grader import checks

REPO = Path(__file__).resolve().parents[2]
INSTRUCTOR_DIR = REPO / "autograder" / "manifests"
STUDENT_DIR = REPO / "lib" / "dl4cv" / "assignments_manifest"
PRELUDE_TAG = "grading-prelude"
_CHECK_LINE = re.compile(r"^\s*#\s*dl4cv-check:\s*(\S+)\s*$", re.M)
_HIDDEN = re.compile(r"BEGIN HIDDEN TESTS(.*?)END HIDDEN TESTS", re.S)


class ManifestError(ValueError):
    """The source notebook and the check registry disagree (an authoring mistake)."""


def cell_kind(cell):
    """The manifest kind of a cell of a source or released notebook."""
    nbg = cell.get("metadata", {}).get("nbgrader", {})
    if nbg.get("solution") and nbg.get("grade"):
        return "manual" if cell["cell_type"] == "markdown" else "autograded_answer"
    if nbg.get("solution"):
        return "solution"
    if nbg.get("grade"):
        return "grade"
    if nbg.get("locked"):
        return "locked"
    return cell["cell_type"]


def hidden_check_ids(source):
    """Check ids named in the hidden-test regions of a source cell."""
    return [cid for region in _HIDDEN.findall(source) for cid in _CHECK_LINE.findall(region)]


def build_notebook(source_nb, release_nb):
    """The instructor's manifest entry for one notebook (source and release, same cells)."""
    if [c["id"] for c in source_nb.cells] != [c["id"] for c in release_nb.cells]:
        raise ManifestError("source and released notebook have different cells; rerun the release")
    cells, tasks = [], {}
    for src, rel in zip(source_nb.cells, release_nb.cells):
        kind = cell_kind(src)
        if kind == "autograded_answer":
            raise ManifestError(
                f"cell {src['id']}: code cells that are both solution and grade are not supported; "
                "split it into a solution cell and a grade cell with a hidden check")
        nbg = src.get("metadata", {}).get("nbgrader", {})
        entry = {"id": src["id"], "cell_type": src["cell_type"], "kind": kind,
                 "release_sha256": source_hash(rel["source"])}
        if nbg.get("grade_id"):
            entry["grade_id"] = nbg["grade_id"]
        if kind in ("grade", "manual"):
            entry["points"] = float(nbg.get("points", 0))
        if kind == "solution":
            defs, assigned = defined_names(src["source"])
            entry["defines"], entry["assigns"] = defs, assigned if not defs else []
        if kind == "grade":
            entry["checks"] = hidden_check_ids(src["source"])
            _validate_grade_cell(entry)
            for cid in entry["checks"]:
                spec = checks.get(cid)
                task = tasks.setdefault(spec.task, {"checks": [], "points": 0.0})
                task["checks"].append({"id": cid, "points": spec.points, "grade_cell": entry["grade_id"]})
                task["points"] += spec.points
        if kind == "locked" and PRELUDE_TAG in src.get("metadata", {}).get("tags", []):
            entry["prelude"] = src["source"]
        cells.append(entry)
    solution_ids = {c.get("grade_id") for c in cells if c["kind"] == "solution"}
    unknown = sorted(set(tasks) - solution_ids)
    if unknown:
        raise ManifestError(f"checks test tasks {unknown} that are not solution cells of this notebook")
    return {"cells": cells, "tasks": {gid: tasks[gid] for gid in
                                      [c.get("grade_id") for c in cells] if gid in tasks}}


def _validate_grade_cell(entry):
    points = sum(checks.get(cid).points for cid in entry["checks"])
    if not entry["checks"] and entry["points"]:
        raise ManifestError(
            f"grade cell {entry['grade_id']} has {entry['points']} points but names no hidden check; "
            "add '# dl4cv-check: <id>' lines between BEGIN/END HIDDEN TESTS")
    if abs(points - entry["points"]) > 1e-9:
        raise ManifestError(
            f"grade cell {entry['grade_id']} has {entry['points']} points but its checks "
            f"{entry['checks']} add up to {points}; make them agree")


def task_order(notebook_manifest):
    """The graded tasks' grade_ids in notebook order (JSON ``tasks`` keys are sorted)."""
    return [c["grade_id"] for c in notebook_manifest["cells"]
            if c["kind"] == "solution" and c["grade_id"] in notebook_manifest["tasks"]]


def student_view(manifest):
    """The student's manifest: the instructor's without check ids or instructor sources."""
    out = {"assignment": manifest["assignment"], "notebooks": {}}
    for name, nb in manifest["notebooks"].items():
        out["notebooks"][name] = {"cells": [
            {k: v for k, v in cell.items() if k not in ("checks", "prelude")} for cell in nb["cells"]
        ]}
    return out


def dumps(manifest):
    """Deterministic JSON text of a manifest."""
    return json.dumps(manifest, indent=1, sort_keys=True) + "\n"


def load(assignment, manifest_dir=INSTRUCTOR_DIR):
    """The instructor's manifest of ``assignment``."""
    path = Path(manifest_dir) / f"{assignment}.json"
    if not path.exists() and not (REPO / "solutions").is_dir():
        raise FileNotFoundError(
            f"dl4cv-grade works from a clone of the course repository, and this install "
            f"({Path(__file__).resolve().parent}) "
            "is not one: git clone the course, run `bash setup.sh` in it, and use its "
            ".venv/bin/dl4cv-grade")
    if not path.exists():
        raise FileNotFoundError(
            f"no manifest {path}; run `dl4cv-grade release {assignment}` first")
    return json.loads(path.read_text(encoding="utf-8"))
