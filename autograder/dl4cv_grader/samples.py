"""Sample submissions of a1/knn, generated from the released notebook (none are committed).

Each sample is the released notebook with some cells filled in or mangled, plus what grading
must give it: the expected score of every check and the flags or notes that must appear.
``make(kind, folder, ...)`` writes one; ``KINDS`` lists them; ``mixed_batch`` makes a class
of any size from the cheap kinds (for the 200-submission test and the benchmark).
``FOLDER_KINDS`` are what a student's folder may hold instead of ``knn.ipynb`` (nothing, a
folder, links, a FIFO, a device, a huge or deeply nested file, renamed copies): each expects
a ``reason`` (``notebook_io.REASONS``) with 0 points, or, for a rename, full marks.

The expected scores are the scores the code's real behaviour earns (see each kind's
comment); the hostile kinds try to earn more and must not.
"""
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dl4cv_grader import nbhygiene, notebook_io
from dl4cv_grader.manifest import REPO

FULL = {"a1.knn.two_loops": 3, "a1.knn.one_loop": 3, "a1.knn.no_loops": 4,
        "a1.knn.no_loops.vectorised": 2, "a1.knn.predict_labels": 2, "a1.knn.predict_labels.ties": 2}
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n", re.M)


@dataclass
class Sample:
    """One generated submission and what grading it must give."""

    kind: str
    path: Path
    expected: dict  # check id -> score
    notes: list = field(default_factory=list)  # mapping-note kinds or read flags that must appear
    flag: bool = False  # hostile: the record must carry at least one integrity flag
    reason: str = ""  # the record's expected ``ungradable`` reason ("" = graded)

    @property
    def score(self):
        return sum(self.expected.values())


def reference_sources(notebook="knn", assignment="a1", repo=REPO):
    """grade_id -> the reference answer of each solution and answer cell of a source notebook
    (solution markers removed)."""
    nb = nbformat.read(Path(repo) / "solutions" / assignment / f"{notebook}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: _MARKER.sub("", c.source)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def released(notebook="knn", assignment="a1", repo=REPO):
    """The released (student) copy of a notebook, as committed under ``assignments/``."""
    return nbformat.read(Path(repo) / "assignments" / assignment / f"{notebook}.ipynb", as_version=4)


def fill(nb, sources):
    """``nb`` with each cell whose grade_id is in ``sources`` replaced by that source."""
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sources:
            cell.source = sources[gid]
    return nb


def _index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if c.get("id") == gid)


def _zero(*check_ids):
    return {cid: (0 if cid in check_ids else pts) for cid, pts in FULL.items()}


WRONG_TWO_LOOPS = '''
def compute_distances_two_loops(self, X):
    return np.zeros((X.shape[0], self.X_train.shape[0]))
'''
SQUARED_ONE_LOOP = '''
def compute_distances_one_loop(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        dists[i] = np.sum((self.X_train - X[i]) ** 2, axis=1)
    return dists
'''
COMPREHENSION_NO_LOOPS = '''
def compute_distances_no_loops(self, X):
    return np.array([np.sqrt(np.sum((self.X_train - x) ** 2, axis=1)) for x in X])
'''
NORM_TWO_LOOPS = '''
def compute_distances_two_loops(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        for j in range(self.X_train.shape[0]):
            dists[i, j] = np.linalg.norm(X[i] - self.X_train[j])
    return dists
'''


def _hostile(kind, ref, course_dir, port):
    """(sources to change, expected, notes) of the hostile kinds."""
    if kind == "patch_allclose":  # wrong answer, and NumPy's comparisons patched to agree
        src = ("np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
               "np.array_equal = lambda *a, **k: True\n" + WRONG_TWO_LOOPS)
        return {"knn_two_loops": src}, _zero("a1.knn.two_loops")
    if kind == "input_transformer":  # rewrites later cells in IPython; the grader runs plain Python
        src = WRONG_TWO_LOOPS + (
            "\ndef _skip_checks(lines):\n    return ['pass\\n'] if any('check' in l for l in lines) else lines\n"
            "get_ipython().input_transformers_cleanup.append(_skip_checks)\n")
        return {"knn_two_loops": src}, _zero("a1.knn.two_loops")
    if kind == "eq_always_true":  # a result object that equals anything
        src = ("class _Anything(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
               "    __ne__ = lambda self, other: False\n\n"
               "class _Sly:\n    shape = None\n    def __eq__(self, other):\n        return True\n\n"
               "def compute_distances_two_loops(self, X):\n    return _Sly()\n")
        return {"knn_two_loops": src}, _zero("a1.knn.two_loops")
    if kind == "fake_score":  # prints what a naive grader might parse as a score
        src = ('print("Score: 16/16")\nprint(\'{"auto_score": 3, "max_score": 3}\')\n' + SQUARED_ONE_LOOP)
        return {"knn_one_loop": src}, _zero("a1.knn.one_loop")
    if kind == "read_secrets":  # tries to read the solutions, the gradebook, the notebook itself
        paths = [str(Path(REPO) / "solutions" / "a1" / "knn.ipynb"),
                 str(Path(REPO) / "autograder" / "dl4cv_grader" / "checks" / "a1_knn.py"),
                 str(Path(course_dir or "/nonexistent") / "gradebook.db")]
        src = (f"import json as _json\n_stolen = None\nfor _p in {paths!r}:\n    try:\n"
               "        _stolen = open(_p, 'rb').read()\n        break\n    except OSError:\n        pass\n"
               "if _stolen and _stolen.startswith(b'{'):\n"
               "    for _c in _json.loads(_stolen)['cells']:\n"
               "        if 'def compute_distances_two_loops' in ''.join(_c['source']):\n"
               "            exec(''.join(_c['source']))\n"
               "else:\n" + "\n".join("    " + line for line in WRONG_TWO_LOOPS.strip().splitlines()) + "\n")
        return {"knn_two_loops": src}, _zero("a1.knn.two_loops")
    if kind == "write_gradebook":  # opens the SQLite gradebook and rewrites every score
        db = str(Path(course_dir or "/nonexistent") / "gradebook.db")
        src = ("import sqlite3\ntry:\n"
               f"    _db = sqlite3.connect({db!r})\n"
               "    _db.execute('UPDATE grade SET auto_score = 0')\n"
               "    _db.execute('UPDATE grade SET manual_score = 100')\n    _db.commit()\n"
               "except Exception:\n    pass\n" + ref["knn_two_loops"])
        return {"knn_two_loops": src}, dict(FULL)
    if kind == "os_exit":  # kills its interpreter when one check calls it
        src = "import os\n\ndef compute_distances_one_loop(self, X):\n    os._exit(0)\n"
        return {"knn_one_loop": src}, _zero("a1.knn.one_loop")
    if kind == "sigint_loop":  # ignores SIGINT and spins: both no_loops checks lose
        src = ("import signal\n\ndef compute_distances_no_loops(self, X):\n"
               "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass\n")
        return {"knn_no_loops": src}, _zero("a1.knn.no_loops", "a1.knn.no_loops.vectorised")
    if kind == "memory_bomb":  # allocates without end inside predict_labels
        src = ("def predict_labels(self, dists, k=1):\n    hoard = []\n    while True:\n"
               "        hoard.append(np.ones(50_000_000))\n")
        return {"knn_predict_labels": src}, _zero("a1.knn.predict_labels", "a1.knn.predict_labels.ties")
    if kind == "fork_bomb":  # forks until refused, inside one_loop
        src = ("import os\n\ndef compute_distances_one_loop(self, X):\n    while True:\n"
               "        if os.fork() == 0:\n            import time\n            time.sleep(120)\n"
               "            os._exit(0)\n")
        return {"knn_one_loop": src}, _zero("a1.knn.one_loop")
    if kind == "background_process":  # leaves a detached process behind, answers correctly
        src = ("import subprocess\n_p = subprocess.Popen(['sleep', '97'], start_new_session=True)\n"
               + ref["knn_two_loops"])
        return {"knn_two_loops": src}, dict(FULL)
    if kind == "network":  # answers correctly only if it can reach a server
        src = ("import socket\n_online = False\ntry:\n"
               f"    socket.create_connection(('127.0.0.1', {int(port or 9)}), timeout=2).close()\n"
               "    _online = True\nexcept OSError:\n    pass\n"
               + ref["knn_two_loops"] + "\nif not _online:\n"
               + "\n".join("    " + line for line in WRONG_TWO_LOOPS.strip().splitlines()) + "\n")
        return {"knn_two_loops": src}, _zero("a1.knn.two_loops")
    if kind == "delegate_stash":  # keeps the library's KNearestNeighbor, imported by a built-up name
        src = ('_kept = {"R": __import__("dl4cv.classifiers." + "k_nearest_neighbor".lower(), '
               'fromlist=["_"]).KNearestNeighbor}\n\n'
               "def predict_labels(self, dists, k=1):\n    return _kept['R'].predict_labels(self, dists, k)\n")
        return {"knn_predict_labels": src}, _zero("a1.knn.predict_labels", "a1.knn.predict_labels.ties")
    if kind == "loop_helper":  # a loop-free no_loops that hands the work to the looping version
        src = ("def compute_distances_no_loops(self, X):\n"
               "    return self.compute_distances_two_loops(X)\n")
        return {"knn_no_loops": src}, _zero("a1.knn.no_loops.vectorised")
    if kind == "forged_flag":  # writes a spreadsheet formula into the worker's integrity flags
        src = ("import gc\nfor _o in gc.get_objects():\n    if type(_o).__name__ == 'Observer':\n"
               "        _o.flags.append('=HYPERLINK(\"http://example.invalid/\", \"ok\")')\n"
               + ref["knn_one_loop"])
        return {"knn_one_loop": src}, dict(FULL)
    raise ValueError(kind)


HOSTILE = ("patch_allclose", "input_transformer", "eq_always_true", "fake_score", "read_secrets",
           "write_gradebook", "os_exit", "sigint_loop", "memory_bomb", "fork_bomb",
           "background_process", "network", "delegate_stash", "loop_helper", "forged_flag")
MANGLED = ("deleted", "duplicated", "reordered", "retyped", "split", "no_ids", "broken_json",
           "huge_outputs", "renamed")
BASIC = ("reference", "blank", "partial", "policy_norm")
KINDS = BASIC + MANGLED + HOSTILE


# kind -> expected reason ("" = graded with full marks, as a rename of the reference).
FOLDER_KINDS = {
    "missing": "missing", "unknown_file": "missing", "no_assignment_folder": "missing",
    "directory": "directory", "broken_symlink": "symlink", "looping_symlink": "symlink",
    "symlink_out": "symlink", "symlink_in": "symlink", "symlink_dev_zero": "symlink",
    "assignment_symlink": "symlink", "fifo": "special_file", "socket": "special_file",
    "char_device": "special_file", "too_large": "too_large", "deep_json": "too_deep",
    "nested_json": "too_deep", "ambiguous": "ambiguous",
    "renamed_case": "", "renamed_json": "", "renamed_dash": "", "renamed_copy": "", "renamed_by_cells": "",
}
_RENAMES = {"renamed_case": "KNN.ipynb", "renamed_json": "knn.ipynb.json", "renamed_dash": "knn-2.ipynb",
            "renamed_copy": "knn_copy.ipynb", "renamed_by_cells": "my homework.ipynb"}


def can_make(kind):
    """Whether this process can write sample ``kind`` (a real device needs root)."""
    return kind != "char_device" or os.geteuid() == 0


def _folder_kind(kind, folder, repo):
    """Write folder kind ``kind`` where ``folder/knn.ipynb`` would be; returns the Sample."""
    def reference():
        return nbhygiene.dumps(fill(released(repo=repo), reference_sources(repo=repo)))

    path, expected = folder / "knn.ipynb", _zero(*FULL)
    if kind == "no_assignment_folder":
        folder.parent.mkdir(parents=True, exist_ok=True)
        return Sample(kind, folder, expected, reason="missing")
    if kind == "assignment_symlink":  # the a1 folder links to the solutions: never followed
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.symlink_to(Path(repo) / "solutions" / "a1")
        return Sample(kind, folder, expected, reason="symlink")
    folder.mkdir(parents=True, exist_ok=True)
    if kind in _RENAMES:
        path, expected = folder / _RENAMES[kind], dict(FULL)
        path.write_text(reference(), encoding="utf-8")
    elif kind == "missing":
        (folder / "notes.txt").write_text("I will submit tomorrow\n")
    elif kind == "unknown_file":
        path = folder / "homework.ipynb"
        path.write_text(nbhygiene.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])))
    elif kind == "directory":
        path.mkdir()
        (path / "knn.ipynb").write_text(reference(), encoding="utf-8")
    elif kind == "broken_symlink":
        path.symlink_to(folder / "nowhere.ipynb")
    elif kind == "looping_symlink":
        path.symlink_to("loop.ipynb")
        (folder / "loop.ipynb").symlink_to("knn.ipynb")
    elif kind == "symlink_out":  # to the reference solution: following it would score 16
        path.symlink_to(Path(repo) / "solutions" / "a1" / "knn.ipynb")
    elif kind == "symlink_in":  # to a full-marks notebook elsewhere in the course
        target = folder.parents[1] / f".{folder.parent.name}-knn.ipynb"
        target.write_text(reference(), encoding="utf-8")
        path.symlink_to(Path("..") / ".." / target.name)
    elif kind == "symlink_dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        os.mknod(path, stat.S_IFSOCK | 0o600)
    elif kind == "char_device":  # the device /dev/zero is (1, 5); needs root
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    elif kind == "too_large":  # sparse: over the hard cap without using the disk
        with open(path, "wb") as f:
            f.write(b'{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {"x": "')
            f.truncate(notebook_io.HARD_CAP + 1)
    elif kind in ("deep_json", "nested_json"):  # beyond json's recursion limit; beyond MAX_DEPTH only
        depth = 100_000 if kind == "deep_json" else 3 * notebook_io.MAX_DEPTH
        nb = json.loads(reference())
        text = json.dumps(nb)[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
        path.write_text(text, encoding="utf-8")
    elif kind == "ambiguous":
        for name in ("KNN.ipynb", "knn (1).ipynb"):
            (folder / name).write_text(reference(), encoding="utf-8")
    return Sample(kind, path, expected, reason=FOLDER_KINDS[kind])


def make(kind, folder, repo=REPO, course_dir=None, port=None, name="knn.ipynb"):
    """Write sample ``kind`` into ``folder`` (as ``name``); returns a Sample."""
    folder = Path(folder)
    if kind in FOLDER_KINDS:
        return _folder_kind(kind, folder, repo)
    folder.mkdir(parents=True, exist_ok=True)
    ref = reference_sources(repo=repo)
    nb = released(repo=repo)
    expected, notes, changes, flag = dict(FULL), [], dict(ref), False
    if kind == "blank":
        changes, expected = {}, _zero(*FULL)
        notes = ["unchanged"]
    elif kind == "partial":
        changes.update(knn_one_loop=SQUARED_ONE_LOOP, knn_no_loops=COMPREHENSION_NO_LOOPS)
        expected = _zero("a1.knn.one_loop", "a1.knn.no_loops.vectorised")
    elif kind == "policy_norm":
        changes["knn_two_loops"] = NORM_TWO_LOOPS
        expected = _zero("a1.knn.two_loops")
    elif kind in HOSTILE:
        hostile, expected = _hostile(kind, ref, course_dir, port)
        changes.update(hostile)
        flag = True
    fill(nb, changes)
    if kind == "deleted":
        del nb.cells[_index(nb, "knn_one_loop")]
        expected, notes = _zero("a1.knn.one_loop"), ["missing"]
    elif kind == "duplicated":  # a wrong first copy, the corrected copy below it counts
        copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[_index(nb, "knn_no_loops")])))
        nb.cells[_index(nb, "knn_no_loops")].source = (
            "def compute_distances_no_loops(self, X):\n    return np.zeros((len(X), len(self.X_train)))\n")
        copy["id"] = "a1b2c3d4-copy"
        nb.cells.insert(_index(nb, "knn_no_loops") + 1, copy)
        notes = ["duplicated"]
    elif kind == "reordered":
        cell = nb.cells.pop(_index(nb, "knn_predict_labels"))
        nb.cells.append(cell)
        notes = ["reordered"]
    elif kind == "retyped":
        i = _index(nb, "knn_no_loops")
        nb.cells[i] = nbformat.v4.new_markdown_cell(nb.cells[i].source, id="knn_no_loops")
        notes = ["retyped"]
    elif kind == "split":
        i = _index(nb, "knn_two_loops")
        nb.cells[i].source = ("def compute_distances_two_loops(self, X):\n"
                              "    return _pairwise(X, self.X_train)\n")
        nb.cells.insert(i, nbformat.v4.new_code_cell(
            "def _pairwise(A, B):\n    out = np.zeros((A.shape[0], B.shape[0]))\n"
            "    for i in range(A.shape[0]):\n        for j in range(B.shape[0]):\n"
            "            d = A[i] - B[j]\n            out[i, j] = np.sqrt(np.sum(d * d))\n    return out\n",
            id="5f0e1d2c-split"))
        notes = ["split"]
    elif kind == "huge_outputs":
        blob = "x" * (1 << 20)
        nb.cells[_index(nb, "knn_two_loops_check")].outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=blob) for _ in range(50)]
        notes = ["large_file"]
    text = nbhygiene.dumps(nb)
    if kind == "no_ids":  # Colab-style: nbformat 4.4 without cell ids
        raw = json.loads(text)
        raw["nbformat_minor"] = 4
        for cell in raw["cells"]:
            cell.pop("id", None)
            cell["metadata"] = {"colab": {"id": "x"}}
        text, notes = json.dumps(raw), ["missing_cell_ids"]
    elif kind == "broken_json":
        text, expected, notes = text[: len(text) // 2], _zero(*FULL), ["invalid_json"]
    if kind == "renamed":
        name, notes = "knn (1).ipynb", ["renamed"]
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return Sample(kind, path, expected, notes, flag, reason="invalid_json" if kind == "broken_json" else "")


# Kinds that grade quickly (no timeouts, no resource exhaustion): for large batches.
CHEAP = ("reference", "blank", "partial", "policy_norm", "deleted", "duplicated", "retyped",
         "broken_json", "patch_allclose", "eq_always_true", "fake_score", "os_exit")


def mixed_batch(n, course_dir, repo=REPO, kinds=CHEAP):
    """Write ``n`` submissions (kinds in turn) as ``<course>/submitted/s000/a1/knn.ipynb`` ...

    Returns ``{student: Sample}``.
    """
    out = {}
    for i in range(n):
        student = f"s{i:03d}"
        folder = Path(course_dir) / "submitted" / student / "a1"
        out[student] = make(kinds[i % len(kinds)], folder, repo=repo, course_dir=course_dir)
    return out
