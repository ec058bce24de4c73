"""Check a notebook before you submit it: ``dl4cv.submit.check("knn.ipynb")``.

The grader finds your work by the cells of the released notebook: each task cell, answer
cell and locked cell has an id, and each task cell defines known names (for example the
function ``compute_distances_no_loops``). ``check`` reads your notebook the way the grader
does and says, in plain words, which task cells it cannot find, finds twice, finds as the
wrong cell type or finds unchanged, and which locked cells you changed (the grader always
uses its own copy of those). It does not run your code and knows no hidden tests.

The same cell-matching code (``map_cells``) is used by the instructor's grader, with the
instructor's manifest; the student copy of the manifest
(``dl4cv/assignments_manifest/<assignment>.json``) is written by ``dl4cv-grade release``.
"""
import ast
import functools
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dl4cv.magics import python_source

MANIFEST_DIR = Path(__file__).with_name("assignments_manifest")
# Top-level statements that only define things (a cell made of these is "definitions only").
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def source_hash(text):
    """sha256 of a cell's source, ignoring line endings, trailing spaces and blank lines at the end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


# A line IPython reads as a magic, a shell command or a help request.
_IPYTHON_LINE = re.compile(r"^\s*([%!?]|[\w.,\s]+=\s*[%!])|\?\s*$", re.M)


@functools.lru_cache(maxsize=512)
def parse(text):
    """The module AST of a cell's source, or None if it is not valid Python (prose, typos).
    Cached: callers must not change the tree.

    IPython magics (``%timeit``, ``!ls``) are read through :func:`dl4cv.magics.python_source`,
    the transform the grader also uses, so a magic does not make a cell unparsable.
    """
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        if not _IPYTHON_LINE.search(text):
            return None
    try:
        return ast.parse(python_source(text))
    except (SyntaxError, ValueError):
        return None


def syntax_problem(text):
    """Why ``text`` is not Python, as a student can act on it (``line 3: invalid syntax``), or ""."""
    if "\0" in text:
        line = text[:text.index("\0")].count("\n") + 1
        return (f"line {line}: it contains a NUL byte (an invisible character 0, often pasted from a "
                "PDF or another program); delete that character or retype the line")
    if parse(text) is not None:
        return ""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:
        return str(exc)
    return "it is not valid Python"


def _assigned(node):
    """Plain names bound by an assignment statement."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def defined_names(text):
    """Names a cell defines at top level: functions and classes first, then assigned names.

    Returns ``(defs, assigned)``, two lists in source order; both empty if the cell is not
    valid Python.
    """
    tree = parse(text)
    defs, assigned = [], []
    for node in tree.body if tree else []:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            assigned += _assigned(node)
    return defs, assigned


def definitions_only(text):
    """True if every top-level statement imports, defines a function/class or assigns a literal."""
    tree = parse(text)
    if tree is None or not tree.body:
        return False
    for node in tree.body:
        if isinstance(node, _DEFINITIONS):
            continue
        if isinstance(node, ast.Assign):
            try:
                ast.literal_eval(node.value)
                continue
            except ValueError:
                return False
        return False
    return True


@dataclass
class Cell:
    """One cell of a submission as read from its JSON, whatever the cell claims to be."""

    index: int
    cell_type: str
    source: str
    id: str = ""
    grade_id_hint: str = ""  # the submission's own nbgrader metadata: a hint, never trusted

    @property
    def defs(self):
        return defined_names(self.source)


def read_cells(nb):
    """Cells of a parsed notebook dict (nbformat 4), tolerant of missing or odd fields."""
    cells = []
    for index, raw in enumerate(nb.get("cells") or []):
        if not isinstance(raw, dict):
            continue
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        nbg = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else {}
        cells.append(Cell(index, str(raw.get("cell_type", "")), source if isinstance(source, str) else "",
                          str(raw.get("id") or ""), str(nbg.get("grade_id") or "")))
    return cells


@dataclass
class Found:
    """Where a task (a solution or answer cell of the release) was found in a submission."""

    grade_id: str
    cells: list = field(default_factory=list)  # Cell objects, in notebook order; empty = missing
    how: str = "missing"  # "id", "content", "hint", "position" or "missing"

    @property
    def source(self):
        return "\n\n".join(c.source for c in self.cells)


@dataclass
class Mapping:
    """Result of ``map_cells``: what was found for each task, and every irregularity."""

    found: dict  # grade_id -> Found, in manifest order
    notes: list  # dicts: {"grade_id", "kind", "message"}; kind is one of NOTE_KINDS
    changed_locked: list  # manifest ids of locked/read-only cells the student altered or removed


NOTE_KINDS = ("missing", "duplicated", "retyped", "split", "reordered", "moved", "unchanged",
              "locked_changed", "unknown_name")


def _primary(entry):
    """The names that identify a solution cell: its functions/classes, else what it assigns."""
    return entry.get("defines") or entry.get("assigns") or []


def _matches_content(cell, entry):
    names = _primary(entry)
    if not names:
        return False
    defs, assigned = cell.defs
    have = set(defs) if entry.get("defines") else set(assigned)
    if entry.get("defines"):
        return set(names) <= have
    return len(set(names) & have) * 2 >= len(names)


def map_cells(cells, notebook_manifest):
    """Map a submission's cells to the released tasks, by id first, then by content.

    Inputs:
    - cells: list of :class:`Cell` (``read_cells``).
    - notebook_manifest: one notebook's entry of an assignment manifest (its ``cells`` list).

    Rules (docs/autograder.md explains why):
    - a solution cell is the student cell that defines the task's names (its functions or
      classes); if several do, the LAST one counts, as running the notebook top to bottom
      leaves the last definition in effect; if none does, the cell with the task's id, then
      the one whose nbgrader metadata names the task (a hint only);
    - an answer cell (markdown) is found by id, then by the hint, then as the first
      markdown cell after its question;
    - a code cell holding only definitions, placed between the same locked cells as a task
      cell but matched to nothing, is part of that task (a split cell);
    - cells of the wrong type are used as they are, with a note.
    """
    entries = notebook_manifest["cells"]
    by_id = {c.id: c for c in cells if c.id}
    anchors = {}  # student cell index -> manifest position, for cells equal to locked/read-only ones
    for pos, entry in enumerate(entries):
        if entry["kind"] in ("solution", "manual"):
            continue
        match = by_id.get(entry["id"])
        if match is None:
            match = next((c for c in cells if c.index not in anchors
                          and source_hash(c.source) == entry["release_sha256"]), None)
        if match is not None:
            anchors[match.index] = pos
    present = {source_hash(c.source) for c in cells}
    changed_locked = [e["id"] for e in entries
                      if e["kind"] in ("locked", "grade") and e["release_sha256"] not in present]

    notes, found, claimed = [], {}, set()
    for pos, entry in enumerate(entries):
        if entry["kind"] not in ("solution", "manual"):
            continue
        gid = entry["grade_id"]
        want_type = "code" if entry["kind"] == "solution" else "markdown"
        options = []
        if entry["kind"] == "solution":
            options.append(("content", [c for c in cells if _matches_content(c, entry)]))
        options.append(("id", [c for c in cells if c.id == entry["id"]]))
        options.append(("hint", [c for c in cells if c.grade_id_hint == gid]))
        if entry["kind"] == "manual":
            question = next((i for i, p in anchors.items() if p == pos - 1), None)
            after = [c for c in cells if question is not None and c.index == question + 1]
            options.append(("position", after))
        how, chosen = "missing", []
        for how, group in options:
            group = [c for c in group if c.index not in claimed]
            if group:
                if len(group) > 1:
                    notes.append({"grade_id": gid, "kind": "duplicated", "message": (
                        f"{len(group)} cells ({', '.join(str(c.index) for c in group)}) look like "
                        f"task {gid}; the last one (cell {group[-1].index}) is used, as running the "
                        "notebook top to bottom would leave its definition in effect")})
                chosen = [group[-1]]
                claimed.update(c.index for c in group)  # the unused copies are not split parts
                break
        else:
            how = "missing"
        if not chosen:
            notes.append({"grade_id": gid, "kind": "missing", "message": _missing(entry) + "; it scores zero"})
        else:
            cell = chosen[0]
            if cell.cell_type != want_type:
                notes.append({"grade_id": gid, "kind": "retyped", "message": (
                    f"the cell of task {gid} (cell {cell.index}) is a {cell.cell_type or 'untyped'} "
                    f"cell, not a {want_type} cell; it is graded as {want_type}")})
            if how == "content" and entry["kind"] == "solution" and cell.id != entry["id"]:
                notes.append({"grade_id": gid, "kind": "moved", "message": (
                    f"task {gid} was found by its definitions in cell {cell.index} (not the "
                    "released cell)")})
            if source_hash(cell.source) == entry.get("release_sha256"):
                notes.append({"grade_id": gid, "kind": "unchanged", "message": (
                    f"task {gid} is unchanged from the release (not attempted)")})
        found[gid] = Found(gid, chosen, how if chosen else "missing")

    _attach_split_cells(cells, entries, anchors, found, claimed, notes)
    order = [f.cells[0].index for f in found.values() if f.cells]
    if order != sorted(order):
        notes.append({"grade_id": "", "kind": "reordered", "message": (
            "task cells are not in the released order; they are run in the released order")})
    return Mapping(found, notes, changed_locked)


def _missing(entry):
    what = f"defines {', '.join(_primary(entry))}" if _primary(entry) else "holds the answer"
    return (f"the cell that {what} (task {entry['grade_id']}) is missing; restore it from the "
            "released notebook and put your work in it")


def task_problem(entry, found):
    """Why the checks of solution task ``entry`` (a manifest cell) cannot run on what was
    ``found`` for it, in words a student can act on; "" if they can run.

    Missing cell; a cell that does not parse (with the line and the reason); a cell that
    no longer defines the task's function or class (renamed).
    """
    if not found.cells:
        return _missing(entry)
    names = ", ".join(_primary(entry))
    for cell in found.cells:
        problem = syntax_problem(cell.source)
        if problem:
            return f"the cell that defines {names} does not parse: {problem}"
    defined = {name for cell in found.cells for name in cell.defs[0] + cell.defs[1]}
    lost = [name for name in entry.get("defines") or [] if name not in defined]
    if lost:
        return (f"the cell of task {entry['grade_id']} no longer defines {', '.join(lost)}; keep the "
                "released name (def ... line) so the grader can call it")
    return ""


def _region(index_or_pos, anchor_positions):
    """The manifest position of the last anchor at or before a point (-1 before the first)."""
    before = [p for i, p in anchor_positions if i <= index_or_pos]
    return before[-1] if before else -1


def _attach_split_cells(cells, entries, anchors, found, claimed, notes):
    """Add definitions-only cells that sit in a task's region to that task (see map_cells)."""
    student_anchors = sorted(anchors.items())
    manifest_anchors = sorted((p, p) for p in anchors.values())
    task_regions = {}
    for pos, entry in enumerate(entries):
        if entry["kind"] == "solution" and found[entry["grade_id"]].cells:
            task_regions.setdefault(_region(pos, manifest_anchors), entry["grade_id"])
    if not student_anchors:
        return
    for cell in cells:
        if cell.index in claimed or cell.index in anchors or cell.cell_type != "code":
            continue
        gid = task_regions.get(_region(cell.index, student_anchors))
        if gid and definitions_only(cell.source):
            task = found[gid]
            task.cells = sorted(task.cells + [cell], key=lambda c: c.index)
            claimed.add(cell.index)
            notes.append({"grade_id": gid, "kind": "split", "message": (
                f"cell {cell.index} only defines things and sits next to task {gid}; it is "
                "graded as part of that task")})


def load_manifest(assignment, manifest_dir=MANIFEST_DIR):
    """The student manifest of ``assignment`` (``a1``) shipped with the library."""
    path = Path(manifest_dir) / f"{assignment}.json"
    if not path.exists():
        known = sorted(p.stem for p in Path(manifest_dir).glob("*.json"))
        raise FileNotFoundError(
            f"no manifest for assignment {assignment!r} in {manifest_dir} (known: {known}); "
            "update the dl4cv library (pip install -U dl4cv or git pull)")
    return json.loads(path.read_text(encoding="utf-8"))


def identify(path, cells, manifest):
    """Which notebook of the manifest ``cells`` belong to: by file name, else by shared ids.

    Returns ``(name, renamed)``; name is None when nothing fits.
    """
    stem = Path(path).stem
    notebooks = manifest["notebooks"]
    if stem in notebooks:
        return stem, False
    ids = {c.id for c in cells}
    scores = {name: len(ids & {e["id"] for e in nb["cells"]}) for name, nb in notebooks.items()}
    best = max(scores, key=scores.get, default=None)
    if best is None or scores[best] == 0:
        return None, False
    return best, True


def check(path, assignment="a1"):
    """Say in plain words whether the grader will find your work in the notebook ``path``.

    Returns True when nothing needs your attention. Prints one line per problem.
    """
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"{path}: cannot be read as a notebook ({exc}). Save it from Jupyter again "
              "(File > Save Notebook) and check the file you pick is the .ipynb.")
        return False
    manifest = load_manifest(assignment)
    cells = read_cells(nb)
    name, renamed = identify(path, cells, manifest)
    if name is None:
        print(f"{path}: this does not look like any notebook of {assignment} "
              f"({', '.join(manifest['notebooks'])}). Did you pick the right file?")
        return False
    mapping = map_cells(cells, manifest["notebooks"][name])
    lines = [f"the file is named {path.name} but looks like {name}.ipynb; rename it before submitting"] if renamed else []
    lines += [n["message"] for n in mapping.notes if n["kind"] != "moved"]
    lines += [task_problem(e, mapping.found[e["grade_id"]]) for e in manifest["notebooks"][name]["cells"]
              if e["kind"] == "solution" and mapping.found[e["grade_id"]].cells]
    lines = [line for line in lines if line]
    entries = {e["id"]: e for e in manifest["notebooks"][name]["cells"]}
    lines += [f"the locked cell {entries[i].get('grade_id') or i} was changed or removed; the grader "
              "uses the original, so your notebook may behave differently when graded"
              for i in mapping.changed_locked]
    for line in lines:
        print(f"- {line}")
    if not lines:
        print(f"{path}: all {len(mapping.found)} task cells of {name} found; ready to submit.")
    return not lines


if __name__ == "__main__":
    sys.exit(0 if all(check(p) for p in sys.argv[1:]) else 1)
