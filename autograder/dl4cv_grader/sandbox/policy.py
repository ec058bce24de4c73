"""Static policy check: which forbidden APIs does a cell's source mention?

This is the authoritative policy signal (the run-time tripwires in the worker are
best-effort, since they live in the student's own process). It resolves import aliases
(``import numpy as np``, ``from numpy import linalg as la``, ``from numpy.linalg import
norm``) and then looks at imports, dotted names (``np.linalg.norm``), ``getattr(x, "name")``
with a constant name, and ``__import__``/``importlib.import_module`` with a constant module.
It cannot see names built at run time (``getattr(np, "li" + "nalg")``); such tricks are
what the tripwires and manual review are for.
"""
import ast

from dl4cv.magics import python_source

_IMPORT_FUNCTIONS = ("__import__", "importlib.import_module", "import_module")


def _parse(source):
    """AST of ``source`` as Jupyter runs it (:func:`~dl4cv_grader.magics.python_source`); None
    if it does not parse."""
    try:
        return ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return None


def import_aliases(tree, aliases):
    """Add ``local name -> qualified name`` for every import in ``tree``; return imported modules."""
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported.append(alias.name)
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.append(node.module)
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                imported.append(full)
                aliases[alias.asname or alias.name] = full
    return imported


def _dotted(node, aliases):
    """``np.linalg.norm`` -> ``numpy.linalg.norm`` (None if not a plain dotted name)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([aliases.get(node.id, node.id)] + parts[::-1])


def _mentions(tree, aliases):
    """Every qualified name ``tree`` refers to."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            names.append(_dotted(node, aliases))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[-1], ast.Constant):
            func, last = _dotted(node.func, aliases), node.args[-1].value
            if not isinstance(last, str):
                continue
            if func in _IMPORT_FUNCTIONS:
                names.append(last)
            elif func == "getattr" and len(node.args) >= 2:
                names.append(f"{_dotted(node.args[0], aliases)}.{last}")
    return [name for name in names if name]


def static_uses(source, qualnames, context=""):
    """The entries of ``qualnames`` that ``source`` uses (in the order given).

    ``qualnames``: modules or attributes, e.g. ``"numpy.linalg.norm"``, ``"scipy"``,
    ``"dl4cv.classifiers.k_nearest_neighbor"``; a module also matches its submodules and
    attributes. ``context``: other code (e.g. the instructor's set-up cells) whose imports
    define aliases that ``source`` relies on; its own uses are not reported.
    """
    aliases = {}
    context_tree = _parse(context)
    if context_tree is not None:
        import_aliases(context_tree, aliases)
    tree = _parse(source)
    if tree is None:
        return []
    found = import_aliases(tree, aliases) + _mentions(tree, aliases)
    return [q for q in qualnames if any(name == q or name.startswith(q + ".") for name in found)]
