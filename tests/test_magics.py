"""magics.python_source: one reading of IPython syntax for the static policy, the loop check
and the sandbox, so a magic never makes a cell unparsable, and never hides code from them."""
import ast

import pytest

from dl4cv_grader.checks.loops import python_loops
from dl4cv.magics import python_source
from dl4cv_grader.sandbox.policy import static_uses


@pytest.mark.parametrize("cell, runs", [
    ("%timeit f(x)\ny = 1\n", "f(x)\ny = 1\n"),
    ("%timeit -n 10 -r 2 -q f(x)\n", "f(x)\n"),
    ("%time x = f(-1)\n", "x = f(-1)\n"),
    ("%%time\nz = f(1)\n", "\nz = f(1)\n"),
    ("\n%%timeit -n 3\nz = f(1)\n%time g()\n", "\n\nz = f(1)\ng()\n"),
    ("def f(x):\n    %timeit g(x)\n    return x\n", "def f(x):\n    g(x)\n    return x\n"),
    ('s = """\n%not a magic\n"""\n', 's = """\n%not a magic\n"""\n'),
])
def test_magics_that_run_code_become_that_code(cell, runs):
    assert python_source(cell) == runs


@pytest.mark.parametrize("cell", [
    "%matplotlib inline\n", "%load_ext autoreload\n%autoreload 2\n", "!ls -l\n", "a = !ls\n",
    "%%bash\nls\n", "%%writefile x.py\nprint(1)\n", "x?\n",
])
def test_other_magics_become_get_ipython_calls(cell):
    tree = ast.parse(python_source(cell))
    calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert calls and set(calls) <= {"run_line_magic", "run_cell_magic", "system", "getoutput"}


def test_source_that_is_not_python_is_returned_unchanged():
    assert python_source("def f(:\n") == "def f(:\n"


def test_a_magic_neither_hides_a_forbidden_import_nor_a_loop():
    cell = "a = !ls\nfrom scipy.spatial.distance import cdist\n%matplotlib inline\n"
    assert static_uses(cell, ["scipy"]) == ["scipy"]
    loopy = "files = !ls\ndef compute_distances_no_loops(self, X):\n    %time d = [x for x in X]\n    return d\n"
    assert python_loops(loopy, "compute_distances_no_loops") == ["list comprehension at line 3"]
