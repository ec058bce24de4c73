"""The no-loops policy of the vectorised tasks: does a function loop in Python, by what it runs?

A vectorised function (``compute_distances_no_loops``, ``svm_loss_vectorized``, ...) may not
contain a ``for`` or ``while`` loop, a comprehension, recursion, or a call of a library
function that loops in Python (``map``, ``functools.reduce``, ``np.vectorize``, ...), neither
in its own body nor in any function or class of the student's that it uses.

What counts is what the code calls, resolved through the imports: ``np.add.reduce`` is
NumPy's vectorised reduction, not ``functools.reduce``; ``np.log`` is NumPy's even if the
student also wrote a helper named ``log``; ``print``, ``logging``, ``warnings.warn`` or
``tqdm.write`` are plain library calls. A progress bar around a loop is still a loop (the
``for``). Sources are read as Jupyter runs them (:func:`~dl4cv_grader.magics.python_source`).
"""
import ast

from dl4cv.magics import python_source
from dl4cv_grader.sandbox.policy import import_aliases

#: Library functions that loop in Python over their input (qualified names after imports).
LOOPING_CALLS = ("map", "filter", "functools.reduce", "itertools.starmap", "itertools.accumulate",
                 "numpy.vectorize", "numpy.frompyfunc", "numpy.apply_along_axis", "numpy.apply_over_axes",
                 "numpy.fromfunction", "numpy.fromiter", "numpy.piecewise")
_LOOP_KINDS = {ast.For: "for loop", ast.AsyncFor: "for loop", ast.While: "while loop",
               ast.ListComp: "list comprehension", ast.SetComp: "set comprehension",
               ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression"}
# What the notebooks' setup cells import for the graded code.
_SETUP_ALIASES = {"np": "numpy", "numpy": "numpy"}


def _tree(source):
    """The AST of ``source`` as Jupyter runs it; None if it is not valid Python."""
    try:
        return ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return None


def _definitions(tree, found):
    """Add name -> nodes for every function, lambda (``name = lambda``) and class in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            for target in node.targets:
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
                if name:
                    found.setdefault(name, []).append(node.value)
    return found


def _dotted(node):
    """``a.b.c`` -> ["a", "b", "c"]; None when the root is not a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *parts[::-1]] if isinstance(node, ast.Name) else None


class _Program:
    """The student's definitions and imports, and what one node refers to."""

    def __init__(self, trees):
        self.defined, self.aliases = {}, dict(_SETUP_ALIASES)
        for tree in trees:
            _definitions(tree, self.defined)
            import_aliases(tree, self.aliases)

    def student_function(self, node):
        """The name of the student's function or class ``node`` refers to, or None.

        A plain name that the student defined, or ``self.name`` / ``SomeClass.name`` on a
        student's object; never an attribute of an imported module (``np.log``, ``logging.log``).
        """
        if isinstance(node, ast.Name):
            return node.id if node.id in self.defined else None
        parts = _dotted(node) if isinstance(node, ast.Attribute) else None
        if not parts or (parts[0] in self.aliases and parts[0] not in self.defined):
            return None
        return parts[-1] if parts[-1] in self.defined else None

    def library_call(self, call):
        """The qualified library name a call refers to (``numpy.add.reduce``), or None."""
        parts = _dotted(call.func)
        if not parts or parts[0] in self.defined:
            return None
        return ".".join([self.aliases.get(parts[0], parts[0]), *parts[1:]])


def python_loops(source, function_name, also=()):
    """Loops in every definition of ``function_name`` and in the student's functions it uses.

    ``also``: the student's other sources (other task cells), searched for those functions, so
    that a loop-free function that hands the work to a looping one is not loop-free.
    Returns ``"for loop at line N"``-style strings (``"... in helper"`` for a helper's);
    raises ValueError if ``source`` does not define the function (or is not valid Python).
    """
    tree = _tree(source)
    if tree is None:
        ast.parse(source)  # a SyntaxError says why
        raise ValueError(f"{function_name} is not valid Python")
    own = _definitions(tree, {}).get(function_name)
    if not own:
        raise ValueError(f"{function_name} is not defined")
    program = _Program([t for t in map(_tree, also) if t is not None] + [tree])
    program.defined[function_name] = own
    loops, seen, todo = [], set(), [function_name]
    while todo:
        name = todo.pop()
        seen.add(name)
        where = "" if name == function_name else f" in {name}"
        for function in program.defined.get(name, []):
            for node in ast.walk(function):
                if type(node) in _LOOP_KINDS:
                    loops.append(f"{_LOOP_KINDS[type(node)]} at line {node.lineno}{where}")
                elif isinstance(node, ast.Call) and program.library_call(node) in LOOPING_CALLS:
                    loops.append(f"{program.library_call(node)}() at line {node.lineno}{where}")
                referred = program.student_function(node) if node is not function else None
                if referred in (name, function_name):
                    loops.append(f"recursion at line {node.lineno}{where}")
                elif referred and referred not in seen and referred not in todo:
                    todo.append(referred)
    return list(dict.fromkeys(loops))
