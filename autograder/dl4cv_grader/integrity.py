"""Integrity flags: signs that a submission tried to game or escape the grader.

Flags never change a score (the sandbox and the trusted checks decide that); they point a
human at submissions worth a look, so each rule must never fire on an honest notebook.
Every flag name is in :data:`FLAGS` (docs/autograder.md has the same table). Sources:

- ``scan(source)``: what the student's graded code *does*, from its AST (imports, calls,
  assignments), never which words it contains;
- ``notebook_flags(nb, notebook_manifest, release)``: the notebook's JSON against the
  release: nbgrader metadata, test (grade) cells, kernelspec, stored outputs;
- ``folder_flags(folder)``: files beside the notebook that would shadow a module or hook
  into Python's start-up, found with ``lstat`` only (never reading through a link);
- ``status_flags(results)``: one flag per abnormal check outcome.

Each of the last three returns ``[(flag, note)]``: the note is one line for the instructor.
"""
import ast
import functools
import importlib.metadata
import os
import re
import stat
import sys
import zipfile

from dl4cv.submit import parse, source_hash

# What each flag means for the instructor (docs/autograder.md, "Integrity flags").
FLAGS = {
    "network": "graded code imports a networking module",
    "process_spawn": "graded code starts processes (subprocess, multiprocessing, os.fork/system)",
    "signal_handler": "graded code installs signal handlers",
    "file_access": "graded code opens files or uses sqlite3/shutil",
    "native_code": "graded code loads native code (ctypes)",
    "dynamic_import": "graded code imports by a computed name (importlib, __import__)",
    "dynamic_code": "graded code runs code built at run time (exec, eval, compile)",
    "introspection": "graded code walks the interpreter (inspect, gc)",
    "exit_call": "graded code exits the interpreter (sys.exit, os._exit)",
    "ipython_hooks": "graded code installs IPython input/AST transformers, events or hooks",
    "monkeypatch": "graded code assigns attributes of a module (np.allclose = ...)",
    "custom_comparison": "graded code defines __eq__/__bool__/__array_ufunc__ (objects that may equal anything)",
    "fake_result_print": "graded code prints a hard-coded score or 'tests passed' claim",
    "points_changed": "a cell's nbgrader points differ from the release",
    "grade_flags_changed": "a cell's nbgrader grade/solution/locked/task flags differ from the release",
    "grade_id_changed": "a cell carries an nbgrader grade_id the release does not give it",
    "nbgrader_metadata_stripped": "a released nbgrader cell, still there by its id and type, lost its nbgrader metadata",
    "test_cell_deleted": "a test (grade) cell of the release is gone",
    "test_cell_changed": "a test (grade) cell's source was rewritten",
    "test_cell_retyped": "a test (grade) cell was turned into markdown or raw",
    "kernelspec_missing": "the notebook has no kernelspec",
    "kernelspec_changed": "the kernelspec is not a Python kernel",
    "forged_output": "a stored output that running the cell cannot have produced",
    "impossible_execution_count": "an execution count no kernel writes (not a positive integer)",
    "shadowing_module": "a file or folder beside the notebook is named like an importable module",
    "startup_hook": "a file or folder beside the notebook that Python, IPython or pytest runs at start-up",
    "config_file": "a configuration file beside the notebook that a library reads from the working directory",
    "pickled_artefact": "a pickle (or NumPy object array) beside the notebook: loading it runs code",
    "check_timeout": "a check hit its time limit", "check_memory": "a check hit the memory limit",
    "check_crash": "the student's process died during a check",
    "check_policy": "a check scored 0 for a policy violation",
}

# --- graded code (AST) ---------------------------------------------------------------

# Module prefixes whose use in graded code is suspicious, and the flag each raises. Threads
# are not among them: honest code uses thread pools and progress bars.
_MODULES = {
    "socket": "network", "urllib": "network", "http": "network", "requests": "network",
    "subprocess": "process_spawn", "multiprocessing": "process_spawn",
    "signal": "signal_handler", "sqlite3": "file_access", "shutil": "file_access",
    "ctypes": "native_code", "importlib": "dynamic_import", "inspect": "introspection",
    "gc": "introspection",
}
_CALLS = {
    "os._exit": "exit_call", "sys.exit": "exit_call", "os.kill": "process_spawn",
    "os.fork": "process_spawn", "os.system": "process_spawn", "os.popen": "process_spawn",
    "open": "file_access", "exec": "dynamic_code", "eval": "dynamic_code",
    "compile": "dynamic_code", "__import__": "dynamic_import",
}
# IPython attributes that change how later cells run (running a magic is not among them).
_IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers",
                  "register_magic_function", "set_custom_exc", "set_hook", "events"}
_ABNORMAL = ("timeout", "memory", "crash", "policy")
MAX_LINE = 1000  # characters of a printed line or string literal that the claim patterns look at
# Names that refer to modules in graded code even without an import in the cell (the prelude).
_MODULE_NAMES = {"np", "numpy", "builtins", "os", "sys", "math", "dl4cv", "scipy"}
_PRINTERS = {"print", "sys.stdout.write", "display"}
# A hard-coded claim of a result: "Score: 16/16", nbgrader's score keys, "all tests passed".
_CLAIM = re.compile(r"\b(score|points?|grade)\b\s*[:=]?\s*\d+(\.\d+)?\s*/\s*\d+|auto_score|max_score|"
                    r"\ball\b.*\b(tests?|checks?)\b.*\bpass", re.I)


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _literal_text(node):
    """The constant text of a str literal or f-string (formatted parts left out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return ""


def scan(source):
    """Sorted flag names for one piece of graded student source ([] if it is not Python:
    a syntax error is a mistake, reported as the task's reason, not a flag)."""
    tree = parse(source)
    if tree is None:
        return []
    aliases, flags = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            base = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                aliases[alias.asname or alias.name.split(".")[0]] = full if base else alias.name.split(".")[0]
                top = full.split(".")[0]
                if top in _MODULES:
                    flags.add(_MODULES[top])
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            head, _, rest = name.partition(".")
            name = f"{aliases.get(head, head)}.{rest}" if rest else aliases.get(head, head)
            if name in _CALLS:
                flags.add(_CALLS[name])
            if name in _PRINTERS and any(_CLAIM.search(_literal_text(a)[:MAX_LINE]) for a in node.args):
                flags.add("fake_result_print")
        elif isinstance(node, ast.Attribute) and node.attr in _IPYTHON_HOOKS:
            flags.add("ipython_hooks")
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and (
                        _dotted(target).split(".")[0] in set(aliases) | _MODULE_NAMES):
                    flags.add("monkeypatch")
        elif isinstance(node, ast.FunctionDef) and node.name in ("__eq__", "__ne__", "__bool__",
                                                                  "__array_ufunc__", "__array_function__"):
            flags.add("custom_comparison")
    return sorted(flags)


def status_flags(results):
    """``[(check_<status>, note)]`` for each abnormal check status among ``results``."""
    statuses = sorted({r.status for r in results if r.status in _ABNORMAL})
    return [(f"check_{s}", FLAGS[f"check_{s}"]) for s in statuses]


# --- the notebook's JSON against the release -----------------------------------------

_GRADE_KEYS = ("grade", "solution", "locked", "task")
# Words a stored output may use to claim a result; dl4cv's own checks print only "OK: ..." lines.
_CLAIM_WORD = re.compile(r"\b(pass(?:ed|es)?|succeed(?:ed|s)?|success(?:ful)?|scores?|points?|grade[sd]?)\b"
                         r"|auto_score|max_score", re.I)
_CHECK_LINE = re.compile(r"^OK: .+ matches .+ \((max relative error|largest difference) \S+\)$")


def _dict(value):
    return value if isinstance(value, dict) else {}


def _text(value):
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _key(value, other=None):
    """``value`` if it is a string (a usable id), else ``other``: ids in a submission may be any JSON."""
    return value if isinstance(value, str) else other


def _nbgrader(raw):
    return _dict(_dict(raw.get("metadata")).get("nbgrader"))


def _metadata_flags(cells, release):
    """points, grade flags, grade ids and stripped metadata, cell by cell."""
    by_id = {c.get("id"): c for c in release.cells}
    by_gid = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader
              for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id")}
    out = []
    for index, raw in cells:
        meta, rel = _nbgrader(raw), by_id.get(_key(raw.get("id")))
        rel_gid = rel.metadata.get("nbgrader", {}).get("grade_id") if rel is not None else None
        gid = meta.get("grade_id") and _key(meta.get("grade_id"), "(not a string)")
        if rel_gid and not meta and raw.get("cell_type") == rel.cell_type:  # a retyped cell is noted by the mapping
            out.append(("nbgrader_metadata_stripped", f"cell {index} ({rel_gid}) has no nbgrader metadata"))
            continue
        if not gid:
            continue
        if gid not in by_gid or (rel is not None and rel_gid and gid != rel_gid):
            was = f", the release's {rel_gid}" if rel_gid and gid != rel_gid else ""
            out.append(("grade_id_changed", f"cell {index} claims grade_id {str(gid)[:60]!r}{was}"))
            continue
        want = by_gid[gid]
        if "points" in want or "points" in meta:
            try:
                same = float(meta.get("points", 0)) == float(want.get("points", 0))
            except (TypeError, ValueError):
                same = False
            if not same:
                out.append(("points_changed", f"{gid}: points {str(meta.get('points'))[:20]} "
                                              f"instead of {want.get('points', 0):g}"))
        changed = [k for k in _GRADE_KEYS if bool(meta.get(k, False)) != bool(want.get(k, False))]
        if changed:
            out.append(("grade_flags_changed", f"{gid}: nbgrader {', '.join(changed)} changed"))
    return out


def _test_cell_flags(cells, notebook_manifest):
    """Each released grade cell: there unchanged (somewhere, as code), or retyped, rewritten, deleted."""
    out = []
    for entry in notebook_manifest["cells"]:
        if entry["kind"] != "grade":
            continue
        gid = entry["grade_id"]
        same = [(i, raw) for i, raw in cells if source_hash(_text(raw.get("source"))) == entry["release_sha256"]]
        if any(raw.get("cell_type") == "code" for _, raw in same):
            continue
        mine = same + [(i, raw) for i, raw in cells
                       if raw.get("id") == entry["id"] or _nbgrader(raw).get("grade_id") == gid]
        if any(raw.get("cell_type") != "code" for _, raw in mine):
            kind = next(str(raw.get("cell_type"))[:20] for _, raw in mine if raw.get("cell_type") != "code")
            out.append(("test_cell_retyped", f"the test cell {gid} is now a {kind} cell"))
        elif mine:
            out.append(("test_cell_changed", f"the test cell {gid} (cell {mine[0][0]}) was rewritten"))
        else:
            out.append(("test_cell_deleted", f"the test cell {gid} is gone"))
    return out


def _kernelspec_flags(nb):
    metadata = _dict(nb.get("metadata"))
    spec = metadata.get("kernelspec")
    if not isinstance(spec, dict):
        return [("kernelspec_missing", "the notebook's metadata has no kernelspec")]
    language = spec.get("language") or _dict(metadata.get("language_info")).get("name")
    if str(language).lower() != "python":
        return [("kernelspec_changed", f"kernel {str(spec.get('name'))[:40]!r}, language {str(language)[:20]!r}")]
    return []


def _output_texts(output):
    """Printed text of a stdout stream or the text/plain of a result."""
    if output.get("output_type") == "stream" and output.get("name") == "stdout":
        return _text(output.get("text"))
    if output.get("output_type") == "execute_result":
        return _text(_dict(output.get("data")).get("text/plain"))
    return ""


def _output_flags(cells):
    """Stored outputs that running the cell cannot have produced (docs: "Forged outputs")."""
    code = "\n".join(_text(raw.get("source")) for _, raw in cells if raw.get("cell_type") == "code")
    in_code = {}  # claim word -> whether some code cell contains it

    def printable(word):
        if word not in in_code:
            in_code[word] = re.search(rf"\b{word}\b", code, re.I) is not None
        return in_code[word]

    out = []
    for index, raw in cells:
        outputs = [o for o in raw.get("outputs") or [] if isinstance(o, dict)] if isinstance(
            raw.get("outputs"), list) else []
        if raw.get("cell_type") != "code":
            if outputs:
                out.append(("forged_output", f"{str(raw.get('cell_type'))[:20]} cell {index} has outputs"))
            continue
        count = raw.get("execution_count")
        if count is not None and (type(count) is not int or count < 1):
            out.append(("impossible_execution_count", f"cell {index} has execution count {str(count)[:20]}"))
        tree = parse(_text(raw.get("source")))
        for output in outputs:
            kind = output.get("output_type")
            if kind == "execute_result" and (count is None or output.get("execution_count") != count):
                out.append(("forged_output", f"cell {index}: a result numbered {str(output.get('execution_count'))[:20]} "
                                             f"on a cell whose execution count is {str(count)[:20]}"))
            elif kind in ("execute_result", "display_data", "error") and tree is not None and not tree.body:
                out.append(("forged_output", f"cell {index} has no code but a stored {kind}"))
            for line in _output_texts(output).splitlines():
                line = line[:MAX_LINE]  # the patterns below are quadratic in the worst case
                if _CHECK_LINE.match(line.strip()):
                    continue
                words = {m.group(0).lower() for m in _CLAIM_WORD.finditer(line)}
                unknown = [w for w in sorted(words) if not printable(w)]
                if unknown:
                    out.append(("forged_output", f"cell {index} shows {line.strip()[:60]!r}; no code in the "
                                                 f"notebook prints {unknown[0]!r}"))
                    break
    return out


def notebook_flags(nb, notebook_manifest, release):
    """``[(flag, note)]`` for the submission ``nb`` (its JSON as a dict) against ``release``
    (the released notebook, nbformat) and its manifest entry; one entry per flag kind."""
    cells = [(i, raw) for i, raw in enumerate(nb.get("cells") or []) if isinstance(raw, dict)]
    found = (_metadata_flags(cells, release) + _test_cell_flags(cells, notebook_manifest)
             + _kernelspec_flags(nb) + _output_flags(cells))
    return _first_per_flag(found)


def _first_per_flag(found):
    """One (flag, note) per flag name; the note counts the further occurrences."""
    out = {}
    for flag, note in found:
        if flag in out:
            out[flag][1] += 1
        else:
            out[flag] = [note, 0]
    return [(flag, note + (f" (and {more} more)" if more else "")) for flag, (note, more) in out.items()]


# --- files beside the notebook --------------------------------------------------------

_STARTUP = {"sitecustomize.py", "usercustomize.py", "conftest.py", ".ipython", "ipython_config.py",
            ".pythonrc", ".pythonrc.py", "pyvenv.cfg"}
_CONFIG = {"matplotlibrc", ".matplotlibrc", ".numbarc", ".numba_config.yaml", "pip.conf", "pip.ini",
           "pytest.ini", ".condarc", ".jupyter", "jupyter_config.py"}
_PICKLES = (".pkl", ".pickle", ".joblib", ".dill")
_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
# Installed top-level names that are common folder names and shadow nothing that runs.
_NOT_MODULES = {"test", "tests", "doc", "docs", "examples", "scripts", "data", "bench", "benchmarks", "this"}
MAX_ENTRIES = 10_000
MAX_INSPECTED = 64 * 1024 * 1024  # an .npz's member list is read only up to this size


@functools.lru_cache(maxsize=1)
def module_names():
    """Top-level import names of the standard library and the installed packages."""
    names = set(sys.stdlib_module_names) | set(importlib.metadata.packages_distributions())
    return frozenset(n for n in names if not n.startswith("_") and n not in _NOT_MODULES)


def _npy_has_objects(header):
    """Whether the bytes of an .npy file's header declare an object dtype."""
    return header.startswith(b"\x93NUMPY") and re.search(rb"'\|?O'", header) is not None


def _read_head(path, size=512):
    """Up to ``size`` bytes of a regular file, opened without following links or blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, size)
    finally:
        os.close(fd)


def _pickled_arrays(path, name):
    """True if an .npy (or a member of an .npz) holds an object array."""
    try:
        if name.endswith(".npy"):
            return _npy_has_objects(_read_head(path))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f, zipfile.ZipFile(f) as archive:
            for member in archive.infolist()[:100]:
                with archive.open(member) as m:
                    if _npy_has_objects(m.read(512)):
                        return True
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, NotImplementedError):
        return False
    return False


def _entry_flag(entry):
    """(flag, note) for one directory entry beside the notebook, or None."""
    name = entry.name
    lower = name.lower()
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:  # gone since it was listed
        return None
    is_dir = stat.S_ISDIR(info.st_mode)
    if lower in _STARTUP or lower.endswith(".pth"):
        return "startup_hook", f"{name} beside the notebook runs when Python, IPython or pytest starts"
    if lower in _CONFIG:
        return "config_file", f"{name} beside the notebook configures a library in this folder"
    if lower.endswith(_PICKLES):
        return "pickled_artefact", f"{name} is a pickle: loading it runs code"
    if (lower.endswith((".npy", ".npz")) and stat.S_ISREG(info.st_mode) and info.st_size <= MAX_INSPECTED
            and _pickled_arrays(entry.path, lower)):
        return "pickled_artefact", f"{name} holds a NumPy object array (a pickle inside)"
    stem = name.split(".")[0]
    if (is_dir or lower.endswith(_MODULE_SUFFIXES)) and stem in module_names():
        return "shadowing_module", f"{name} would be imported instead of the module {stem}"
    return None


def folder_flags(folder):
    """``[(flag, note)]`` for the entries directly in ``folder`` (the submission's folder,
    the notebook's working directory, which is on ``sys.path``). Entries are read with
    ``lstat``; a link is judged by its own name and never followed; at most MAX_ENTRIES."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_ENTRIES:
                    break
                flag = _entry_flag(entry)
                if flag:
                    found.append(flag)
    except OSError:
        return []
    return _first_per_flag(sorted(found))
