"""Notebook hygiene for everything under ``solutions/`` and ``assignments/``.

A clean notebook is nbformat 4.5 with deterministic cell ids, no outputs or execution
counts, the ``python3`` kernelspec and no personal or editor metadata (Colab, widgets,
collapsed state, ...). Deterministic ids matter: the grader's manifest maps a submission's
cells to tasks by id first, so ids must not change when a notebook is regenerated.

Cell ids: a cell with an nbgrader ``grade_id`` uses it (made id-safe); any other cell gets
``<type>-<first 10 hex of sha1(source)>``; a repeated id gets ``-2``, ``-3``, ... in order.
"""
import hashlib
import json
import re
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Cell metadata worth keeping: nbgrader's own, tags, and the lock flags nbgrader sets.
KEPT_CELL_METADATA = ("nbgrader", "tags", "deletable", "editable")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def cell_id_for(cell):
    """The deterministic id of one cell (before de-duplication)."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    if grade_id:
        return _ID_UNSAFE.sub("-", str(grade_id))[:64]
    digest = hashlib.sha1(_source(cell).encode("utf-8")).hexdigest()[:10]
    prefix = {"markdown": "md", "code": "code"}.get(cell.get("cell_type"), "raw")
    return f"{prefix}-{digest}"


def normalise(nb):
    """Return a clean copy of ``nb`` (a NotebookNode or dict); see the module docstring."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    if nb.get("nbformat") != 4:
        nb = nbformat.convert(nb, 4)
    seen = {}
    cells = []
    for cell in nb.cells:
        cell_type = cell.get("cell_type", "code")
        clean = nbformat.from_dict({
            "cell_type": cell_type,
            "source": _source(cell),
            "metadata": {k: v for k, v in cell.get("metadata", {}).items() if k in KEPT_CELL_METADATA},
        })
        base = cell_id_for(cell)
        seen[base] = seen.get(base, 0) + 1
        clean["id"] = base if seen[base] == 1 else f"{base[:60]}-{seen[base]}"
        if cell_type == "code":
            clean["outputs"] = []
            clean["execution_count"] = None
        elif "attachments" in cell and cell_type in ("markdown", "raw"):
            clean["attachments"] = cell["attachments"]
        cells.append(clean)
    out = nbformat.v4.new_notebook(cells=cells)
    out.nbformat, out.nbformat_minor = 4, 5
    out.metadata = nbformat.from_dict({
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    })
    return out


def dumps(nb):
    """Deterministic JSON text of a notebook (sorted keys, one-space indent, final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def problems(path):
    """List what is not clean about the notebook file ``path`` (empty when it is clean)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as exc:  # nbformat raises several unrelated types for bad files
        return [f"not a readable notebook: {exc}"]
    found = []
    if (nb.get("nbformat"), nb.get("nbformat_minor")) != (4, 5):
        found.append(f"nbformat is {nb.get('nbformat')}.{nb.get('nbformat_minor')}, want 4.5")
    expected = normalise(nb)
    for i, (cell, clean) in enumerate(zip(nb.cells, expected.cells)):
        if cell.get("id") != clean["id"]:
            found.append(f"cell {i}: id {cell.get('id')!r} should be {clean['id']!r}")
        if cell.get("outputs") or cell.get("execution_count") is not None:
            found.append(f"cell {i}: has outputs or an execution count")
        extra = set(cell.get("metadata", {})) - set(KEPT_CELL_METADATA)
        if extra:
            found.append(f"cell {i}: extra metadata {sorted(extra)}")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        found.append("kernelspec is not python3")
    extra = set(nb.metadata) - {"kernelspec", "language_info"}
    if extra:
        found.append(f"notebook metadata has {sorted(extra)}")
    if not found and text != dumps(expected):
        found.append("JSON layout differs from the normalised form")
    return found


def normalise_file(path):
    """Rewrite ``path`` in clean form; returns True when the file changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = dumps(normalise(nbformat.reads(old, as_version=4)))
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old


def notebooks_under(*roots):
    """All ``.ipynb`` files under the given folders, skipping checkpoints, sorted."""
    found = []
    for root in roots:
        found += [p for p in Path(root).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(found)
