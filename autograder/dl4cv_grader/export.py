"""``dl4cv-grade export``: one CSV row per student notebook.

Scores come from the gradebook, so manual grades and overrides entered in formgrader count;
flags, notes and the submission time come from the results records. Columns: student,
assignment, notebook, one column per grade cell and per manually graded answer, total, max,
flags, submitted (UTC), late, hours_late (against ``due``, when given). Text that a
spreadsheet would run as a formula (a student id or flag starting with ``=``, ``+``, ``-``,
``@``) is written with a leading ``'``.
"""
import csv
from datetime import datetime, timezone
from pathlib import Path

from dl4cv_grader import gradebook, manifest as manifests
from dl4cv_grader.feedback import records


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


def export(assignment, course_dir, to, due=None, repo_manifest_dir=manifests.INSTRUCTOR_DIR):
    """Write the CSV ``to``; returns the number of rows."""
    manifest = manifests.load(assignment, repo_manifest_dir)
    due = parse_due(due) if isinstance(due, str) else due
    scores = gradebook.scores(course_dir, assignment)
    rows = []
    for record in records(course_dir, assignment):
        cells = [c for c in manifest["notebooks"][record["notebook"]]["cells"] if c["kind"] in ("grade", "manual")]
        got = scores.get((record["student"], record["notebook"]), {})
        row = {"student": record["student"], "assignment": assignment, "notebook": record["notebook"]}
        for c in cells:
            row[c["grade_id"]] = "" if got.get(c["grade_id"]) is None else f"{got[c['grade_id']]:g}"
        row["total"] = f"{sum(v for v in got.values() if v is not None):g}"
        row["max"] = f"{sum(c['points'] for c in cells):g}"
        row["flags"] = " ".join(sorted(set(record["flags"] + record["read_flags"])))
        submitted = datetime.fromisoformat(record["timestamp"]) if record.get("timestamp") else None
        row["submitted"] = submitted.isoformat() if submitted else ""
        late = bool(due and submitted and submitted > due)
        row["late"] = "yes" if late else ("" if submitted is None or due is None else "no")
        row["hours_late"] = f"{(submitted - due).total_seconds() / 3600:.2f}" if late else ""
        rows.append(row)
    columns = list(dict.fromkeys(k for row in rows for k in row)) or ["student", "assignment", "notebook"]
    Path(to).parent.mkdir(parents=True, exist_ok=True)
    with open(to, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows({key: cell_text(value) for key, value in row.items()} for row in rows)
    return len(rows)
