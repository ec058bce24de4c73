"""A notebook cell as plain Python: the one place IPython syntax is turned into code.

Students leave ``%timeit f(x)``, ``%%time``, ``!ls``, ``%matplotlib inline`` or ``a = !ls``
in solution cells. :func:`python_source` rewrites a cell with IPython's own input
transformer, so the grader reads exactly what Jupyter would run. Everything that looks at a
student's code uses it (``dl4cv.submit``'s cell mapping, which students and the grader share,
and in the grader the static policy, the loop checks, the integrity scan and the source sent
to the sandbox), so they can never disagree about what a cell means. IPython is imported only
when a cell needs it.

Magics that run code (``%time``, ``%timeit``, ``%%time``, ``%%timeit``, ``%%capture``,
``%%prun``) become that code, run once. Every other magic or shell escape becomes a call of
``get_ipython()`` (``run_line_magic``, ``run_cell_magic``, ``system``, ``getoutput``), which
the sandbox answers with a stub that does nothing.
"""
import ast
import functools
import re

#: Cell magics whose body is Python code, run once in place of the magic.
CODE_CELL_MAGICS = ("time", "timeit", "capture", "prun")
#: Line magics whose argument is a Python statement, run once in place of the magic.
CODE_LINE_MAGICS = ("time", "timeit", "prun")
#: The ``get_ipython()`` methods the transformed source calls; the sandbox's stub ignores them.
MAGIC_METHODS = ("run_line_magic", "run_cell_magic", "system", "getoutput")

_CELL_MAGIC = re.compile(r"\A(\s*\n)*%%(\w+)[^\n]*(\n|\Z)")
_LINE_MAGIC = re.compile(r"^(?P<indent>[ \t]*)get_ipython\(\)\.run_line_magic\((?P<args>.*)\)[ \t]*$",
                         re.MULTILINE)
# Options of %timeit / %prun before the statement: flags (-q, -o) and options with a value (-n 10).
_OPTIONS = re.compile(r"\A(\s*(-[nrpslTD]\s*\S+|-[a-zA-Z]\b))*\s*")


@functools.lru_cache(maxsize=512)
def python_source(source):
    """``source`` (one notebook cell) as the plain Python that Jupyter would run.

    Line numbers are kept for line magics; a code-running cell magic's first line becomes a
    blank line. Source that is not valid IPython either is returned unchanged (it then fails
    to parse wherever it is read, with the student's own text in the error).
    """
    body = _CELL_MAGIC.match(source)
    if body and body.group(2) in CODE_CELL_MAGICS:
        return source[: body.start(2) - 2] + "\n" + python_source(source[body.end():])
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        transformed = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 -- IPython's tokenizer raises several types on bad input
        return source
    return _LINE_MAGIC.sub(_run_once, transformed)


def _run_once(match):
    """``%time stmt`` / ``%timeit -n 3 stmt`` (as transformed) -> ``stmt``; other magics unchanged."""
    try:
        name, line = ast.literal_eval(f"({match.group('args')})")
    except (SyntaxError, ValueError):
        return match.group(0)
    if name not in CODE_LINE_MAGICS or not isinstance(line, str) or "\n" in line:
        return match.group(0)
    statement = _OPTIONS.sub("", line, count=1) if name != "time" else line.strip()
    return f"{match.group('indent')}{statement or 'pass'}"
