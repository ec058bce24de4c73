"""What a notebook's grading depends on, as one short hash (the record's ``manifest`` field).

A resumed batch keeps a record only while this fingerprint is unchanged, so it must cover
everything a check runs: the notebook's manifest entry, the modules that define its checks,
and every module of the course's own packages (``dl4cv``, ``dl4cv_grader``) that those import,
directly or through other modules (a shared helper, a library reference, a parent package's
``__init__``). Imports are read from the source (``ast``), not by running it, so the closure is
the same on every machine. Modules outside the course's packages (NumPy, the standard
library) are not hashed: they are the environment, not the course.
"""
import ast
import hashlib
import importlib.util
from pathlib import Path

from dl4cv_grader import checks, manifest as manifests

COURSE_PACKAGES = ("dl4cv", "dl4cv_grader")


def _is_course_module(name):
    return name.split(".")[0] in COURSE_PACKAGES


def _spec_file(name):
    """The source file of module ``name``, or None if it is not a module with a source file."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # a parent is not a package, or the name is not a module
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imported_names(path, module):
    """Module names that the source of ``module`` (at ``path``) imports, candidates included:
    for ``from a.b import c`` both ``a.b`` and ``a.b.c`` (``c`` may be a submodule)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
    return names


def _parents(name):
    """``a.b.c`` -> ``a``, ``a.b`` (importing a module runs its packages' ``__init__`` first)."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def source_closure(modules):
    """``{module name: source path}`` of ``modules`` and every course module they import, transitively."""
    found, todo = {}, list(modules)
    while todo:
        name = todo.pop()
        if name in found or not _is_course_module(name):
            continue
        path = _spec_file(name)
        if path is None:
            continue
        found[name] = path
        todo += _parents(name) + [n for n in _imported_names(path, name) if _is_course_module(n)]
    return found


def check_modules(notebook_manifest):
    """Names of the modules that register the notebook's checks."""
    return sorted({checks.get(c["id"]).fn.__module__
                   for task in notebook_manifest["tasks"].values() for c in task["checks"]})


def notebook_fingerprint(notebook_manifest):
    """A 16-hex-digit hash of the manifest entry and the sources in :func:`source_closure`."""
    digest = hashlib.sha256(manifests.dumps(notebook_manifest).encode())
    for name, path in sorted(source_closure(check_modules(notebook_manifest)).items()):
        digest.update(f"\0{name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
