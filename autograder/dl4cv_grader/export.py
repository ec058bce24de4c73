"""``dl4cv-grade export``: one CSV row per student folder, every notebook of the assignment in it.

Scores come from the gradebook, so manual grades and overrides entered in formgrader count;
flags, reasons and submission times come from the results records. Rows: every student folder
under ``submitted/`` and every student with a record, sorted. Columns: student, assignment;
per notebook of the assignment (in the manifest's order) one column per grade cell and per
manually graded answer (its grade_id), ``<notebook>_total`` and ``<notebook>_status``
(``graded``, an ungradable reason such as ``missing``, or ``not graded`` when the batch has not
seen it yet); then the student's ``total`` and ``max`` over all the notebooks, ``flags``
(``notebook:flag``), ``reasons`` (``notebook: sentence`` of each ungradable notebook),
``submitted`` (the latest trusted submission time, UTC), ``late`` and ``hours_late`` (against
``due``, when given). A missing or ungradable notebook scores 0 in every one of its columns.

Student ids and every other text are printed with control characters escaped, and text that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) gets a leading ``'``.
"""
import csv
from datetime import datetime, timezone
from pathlib import Path

from dl4cv_grader import gradebook, manifest as manifests
from dl4cv_grader.feedback import records
from dl4cv_grader.inventory import student_folders
from dl4cv_grader.notebook_io import printable


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell_text(value):
    """``value`` safe for a spreadsheet: text starting like a formula (``=cmd|...``, ``+``, ``-``,
    ``@``) gets a leading ``'`` so Excel, LibreOffice and Sheets show it instead of running it."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def parse_due(text):
    """A due date ``YYYY-MM-DD HH:MM`` (UTC) or ISO 8601 with a zone, as an aware datetime."""
    try:
        due = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"cannot read the due date {text!r}; write it like 2025-10-01 23:59 "
                         "(UTC) or 2025-10-01T23:59+02:00") from None
    return due if due.tzinfo else due.replace(tzinfo=timezone.utc)


def _scored_cells(nb_manifest):
    return [c for c in nb_manifest["cells"] if c["kind"] in ("grade", "manual")]


def _row(student, assignment, manifest, by_notebook, scores, due):
    """The CSV row (dict) of one student; ``by_notebook``: notebook -> record."""
    row = {"student": printable(student), "assignment": assignment}
    total, maximum, flags, reasons, times = 0.0, 0.0, [], [], []
    for nb, nb_manifest in manifest["notebooks"].items():
        cells, record = _scored_cells(nb_manifest), by_notebook.get(nb)
        got = scores.get((student, nb), {})
        for c in cells:
            row[c["grade_id"]] = "" if got.get(c["grade_id"]) is None else f"{got[c['grade_id']]:g}"
        subtotal = sum(v for v in got.values() if v is not None)
        row[f"{nb}_total"] = f"{subtotal:g}" if record else ""
        row[f"{nb}_status"] = "not graded" if record is None else (record.get("ungradable") or "graded")
        total += subtotal
        maximum += sum(c["points"] for c in cells)
        if record is None:
            continue
        flags += [f"{nb}:{flag}" for flag in sorted(set(record["flags"] + record["read_flags"]))]
        if record.get("ungradable"):
            reasons.append(f"{nb}: {record['reason']}")
        if record.get("timestamp"):
            times.append(datetime.fromisoformat(record["timestamp"]))
    submitted = max(times, default=None)
    late = bool(due and submitted and submitted > due)
    row.update(total=f"{total:g}", max=f"{maximum:g}", flags=printable(" ".join(flags)),
               reasons=printable(" | ".join(reasons)), submitted=submitted.isoformat() if submitted else "",
               late="yes" if late else ("" if submitted is None or due is None else "no"),
               hours_late=f"{(submitted - due).total_seconds() / 3600:.2f}" if late else "")
    return row


def export(assignment, course_dir, to, due=None, repo_manifest_dir=manifests.INSTRUCTOR_DIR):
    """Write the CSV ``to``; returns the number of rows (students)."""
    manifest = manifests.load(assignment, repo_manifest_dir)
    due = parse_due(due) if isinstance(due, str) else due
    scores = gradebook.scores(course_dir, assignment)
    by_student = {student: {} for student, _ in student_folders(course_dir)}
    for record in records(course_dir, assignment):
        if record["notebook"] in manifest["notebooks"]:
            by_student.setdefault(record["student"], {})[record["notebook"]] = record
    rows = [_row(s, assignment, manifest, by_student[s], scores, due) for s in sorted(by_student)]
    columns = list(dict.fromkeys(k for row in rows for k in row)) or ["student", "assignment"]
    Path(to).parent.mkdir(parents=True, exist_ok=True)
    with open(to, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows({key: cell_text(value) for key, value in row.items()} for row in rows)
    return len(rows)
