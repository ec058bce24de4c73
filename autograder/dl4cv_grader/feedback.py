"""``dl4cv-grade feedback``: one self-contained HTML page per graded student notebook.

The page shows the student's own cells and outputs, and after each task cell the status,
score and message of each of its checks, plus every note about how the notebook was read.
Hidden inputs and expected values never appear: check messages are written not to contain
them, and nothing else from the checks is shown. Code, text outputs, notes and messages are
escaped; markdown cells are rendered as markdown and HTML outputs shown, both cleaned by
``sanitize`` (no scripts, no external resources); images are embedded only as base64 PNG or
JPEG data that decodes as such.
"""
import html
import json
import re
from pathlib import Path

from dl4cv_grader import gradebook, manifest as manifests, notebook_io, sanitize
from dl4cv_grader.batch import write_atomic
from dl4cv_grader.formgrade import check_table

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
.out{background:#fff;border-left:3px solid #ccc}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
.pass{color:#1a7f37}.fail,.error,.timeout,.memory,.crash,.policy{color:#b42318}
.note{background:#fff8e1;padding:.4rem}
"""


def _outputs(cell):
    """HTML (str) of a submitted cell's outputs, cleaned (``sanitize.clean_outputs``)."""
    parts = []
    for out in sanitize.clean_outputs(cell.get("outputs")):
        kind = out["output_type"]
        if kind == "stream":
            parts.append(f'<pre class="out">{html.escape(out["text"])}</pre>')
        elif kind == "error":
            trace = _ANSI.sub("", "\n".join(out["traceback"]))
            parts.append(f'<pre class="out">{html.escape(trace)}</pre>')
        else:
            data = out["data"]
            image = next((m for m in sanitize.OUTPUT_IMAGES if m in data), None)
            if image:
                parts.append(f'<img alt="output" src="data:{image};base64,{data[image]}">')
            elif "text/html" in data:
                parts.append(f'<div class="out">{data["text/html"]}</div>')
            elif "text/plain" in data:
                parts.append(f'<pre class="out">{html.escape(data["text/plain"])}</pre>')
    return "".join(parts)


def render(record, manual_scores=None):
    """The feedback page (str) for one results record; ``manual_scores``: grade_id -> score."""
    manual_scores = manual_scores or {}
    title = f"{record['assignment']}/{record['notebook']}: feedback for {record['student']}"
    notes = record["notes"] + [n["message"] for n in record["mapping"]]
    manual = ", ".join(
        f"{gid}: {manual_scores[gid]:g}" if manual_scores.get(gid) is not None else f"{gid}: not graded yet"
        for gid in record["manual_cells"])
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p><b>Autograded: {record['score']:g} / {record['max_score']:g}</b>. "
            f"Questions graded by hand ({record['manual_max']:g} points): {html.escape(manual)}.</p>"]
    body += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    by_task = {}
    for row in record["checks"]:
        by_task.setdefault(row["task"], []).append(row)
    sub = notebook_io.read_submission(record["submission"])
    shown = set()
    if not sub.fatal:
        nb_manifest = manifests.load(record["assignment"])["notebooks"][record["notebook"]]
        mapping, _ = notebook_io.map_submission(sub, nb_manifest)
        task_of = {c.index: gid for gid, f in mapping.found.items() for c in f.cells[-1:]}
        for cell in sub.cells:
            raw = sub.nb["cells"][cell.index]
            if cell.cell_type == "code":
                body.append(f"<pre><code>{html.escape(cell.source)}</code></pre>{_outputs(raw)}")
            else:
                body.append(f'<div class="md">{sanitize.markdown_html(cell.source)}</div>')
            gid = task_of.get(cell.index)
            if gid in by_task:
                body.append(f"<h3>Checks of {html.escape(gid)}</h3>{check_table(by_task[gid])}")
                shown.add(gid)
    rest = [r for gid, rows in by_task.items() if gid not in shown for r in rows]
    if rest:
        body.append(f"<h3>Checks of tasks not found in the notebook</h3>{check_table(rest)}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>")


def records(course_dir, assignment, students=None):
    """Every results record of ``assignment`` in the course, sorted by student."""
    out = []
    for path in sorted((Path(course_dir) / "dl4cv_records" / assignment).glob("*/*.json")):
        if students and path.parent.name not in students:
            continue
        out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def feedback(assignment, course_dir, students=None):
    """Write ``<course>/feedback/<student>/<a>/<notebook>.html`` for each record; returns the paths."""
    course_dir = Path(course_dir)
    manual = gradebook.scores(course_dir, assignment)
    written = []
    for record in records(course_dir, assignment, students):
        path = course_dir / "feedback" / record["student"] / assignment / f"{record['notebook']}.html"
        write_atomic(path, render(record, manual.get((record["student"], record["notebook"]))))
        written.append(path)
    return written
