"""The notebook formgrader shows for one graded submission (``<course>/autograded/...``).

It is the released notebook, so every grade and answer cell appears exactly once, in the
released order, with the release's nbgrader metadata (grade ids, points, checksums: what
nbgrader's ``generate_assignment`` recorded in the gradebook), whatever the student did to the
layout. Into it go:

- each solution cell's source (formgrader shows it as highlighted, escaped code) and its
  outputs, cleaned by :func:`sanitize.clean_outputs`;
- each answer cell's markdown, rendered and cleaned (:func:`sanitize.markdown_html`) and
  stored as one ``<div>`` line (:func:`html_block`): formgrader renders markdown cells with
  nbconvert's renderer, which lets raw HTML through, and passes such a block on unchanged, so
  the browser gets exactly the cleaned HTML;
- as the only output of each autograded grade cell, the table of its checks (status,
  score / max and the student-visible message, all escaped: :func:`check_table`), so the
  grader sees why a cell scored what it did. The feedback page shows the same table.
"""
import html

import nbformat

from dl4cv_grader import sanitize

_CELL_STYLE = "border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top"


def check_table(rows):
    """An HTML table (str) of check rows (``record["checks"]`` entries): check id, status,
    score / max and message, everything escaped. Styled inline: formgrader's page styles do
    not reach output tables."""
    td = f'<td style="{_CELL_STYLE}"'
    head = "".join(f'<th style="{_CELL_STYLE}">{name}</th>'
                   for name in ("check", "status", "score", "message"))
    lines = [f'<table style="border-collapse:collapse"><tr>{head}</tr>']
    for r in rows:
        status = html.escape(r["status"])
        lines.append(f'<tr>{td}>{html.escape(r["check_id"])}</td>{td} class="{status}">{status}</td>'
                     f'{td}>{r["score"]:g} / {r["max_score"]:g}</td>'
                     f'{td}>{html.escape(r["message"] or "")}</td></tr>')
    return "".join(lines) + "</table>"


def _checks_output(rows):
    plain = "\n".join(f"{r['check_id']}: {r['status']}, {r['score']:g} / {r['max_score']:g}"
                      + (f": {r['message']}" if r["message"] else "") for r in rows)
    return nbformat.v4.new_output("display_data", data={"text/html": check_table(rows), "text/plain": plain})


def html_block(safe_html):
    """``safe_html`` as a markdown source that nbconvert's renderer passes on unchanged: one
    ``<div>`` line (a markdown HTML block ends at a blank line), newlines written ``&#10;``,
    which HTML reads as the same newline in text, ``<pre>`` and attributes alike."""
    return "<div>" + safe_html.replace("\n", "&#10;") + "</div>"


def view(sub, found, release_path, checks):
    """The formgrader notebook (an nbformat node; see the module docstring).

    ``sub``: the read submission (``notebook_io.Submission``); ``found``: grade_id -> Found,
    as mapped (empty when the file could not be read); ``release_path``: the released
    notebook; ``checks``: the record's check rows (``record["checks"]``).
    """
    nb = nbformat.read(release_path, as_version=4)
    by_cell = {}
    for row in checks:
        by_cell.setdefault(row["grade_cell"], []).append(row)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in by_cell and cell.cell_type == "code":
            cell.outputs = [_checks_output(by_cell[gid])]
        if gid not in found or not found[gid].cells:
            continue
        if cell.cell_type == "markdown":
            cell.source = html_block(sanitize.markdown_html(found[gid].source))
            continue
        cell.source = found[gid].source
        raw = sub.nb["cells"][found[gid].cells[-1].index]
        cell.outputs = sanitize.clean_outputs(raw.get("outputs") if isinstance(raw, dict) else None)
    return nb
