"""``dl4cv-grade self``: grade one notebook on this machine and print a readable report.

Uses the same grading as a batch (sandbox isolation as available here; the report says
which isolation was used and what was missing) but writes no record and no gradebook.
"""
from dl4cv_grader.grade import grade_file


def _message(result):
    """A check's message for the report; an untouched task's NotImplementedError in one line."""
    message = result["message"] or ""
    if message.startswith("your code raised NotImplementedError"):
        return "not done yet: the task's cell still raises NotImplementedError"
    return message


def report(record):
    """The printable report (str) of a results record."""
    lines = [f"{record['assignment']}/{record['notebook']}: {record['score']:g} / "
             f"{record['max_score']:g} points graded automatically "
             f"(+ {record['manual_max']:g} for questions graded by hand)", ""]
    width = max((len(r["check_id"]) for r in record["checks"]), default=10)
    for r in record["checks"]:
        first, *rest = _message(r).splitlines() or [""]
        lines.append(f"  {r['status']:8s} {r['score']:4g}/{r['max_score']:<4g} {r['check_id']:{width}s}  "
                     f"{first}".rstrip())
        lines += [f"      {line}" for line in rest]
    notes = record["notes"] + [n["message"] for n in record["mapping"]]
    if notes:
        lines += ["", "About your notebook:"] + [f"  - {n}" for n in notes]
    if record["changed_locked"]:
        lines.append(f"  - locked cells changed (the originals were used): {', '.join(record['changed_locked'])}")
    if record["cell_errors"]:
        lines += ["", "Errors while running your cells:"] + [
            f"  - {task}: {trace.strip().splitlines()[-1] if trace.strip() else 'error'}"
            for task, trace in record["cell_errors"].items()]
    if record["flags"]:
        lines += ["", f"Integrity flags: {', '.join(record['flags'])}"]
    isolation = record.get("isolation")
    if isolation is not None:
        lines += ["", f"Isolation used: {isolation}"]
    return "\n".join(lines)


def self_grade(path, assignment="a1", notebook=None, isolation="auto"):
    """Grade ``path`` (as ``notebook`` of ``assignment``, or found by name or cells) and return
    its record (nothing is written)."""
    record, _ = grade_file(path, assignment, student="self", notebook=notebook, isolation=isolation)
    return record
