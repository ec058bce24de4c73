"""Attacks on the grader's own logic (static loop policy, CSV export, flags), without a sandbox.

The notebook-level versions of these attacks are samples in ``dl4cv_grader.samples``
(``loop_helper``, ``forged_flag``, ``delegate_stash``), graded end to end in
``test_grader_grade.py``; the sandbox-level ones are in ``test_sandbox_attacks.py``.
"""
import csv
import io

import pytest

from dl4cv_grader.checks.a1_knn import python_loops
from dl4cv_grader.export import cell_text
from dl4cv_grader.student import worker_flag

LOOPING_TWO = "def compute_distances_two_loops(self, X):\n    for i in range(3):\n        pass\n"


@pytest.mark.parametrize("source, other", [
    ("def compute_distances_no_loops(self, X):\n    return compute_distances_two_loops(self, X)\n", LOOPING_TWO),
    ("def compute_distances_no_loops(self, X):\n    return self.compute_distances_two_loops(X)\n", LOOPING_TWO),
    ("def _rows(A, B):\n    return [a for a in A]\n\n"
     "def compute_distances_no_loops(self, X):\n    return _helper(X)\n\n"
     "_helper = lambda X: _rows(X, X)\n", ""),
    ("def compute_distances_no_loops(self, X):\n    return np.array(list(map(abs, X)))\n", ""),
    ("def compute_distances_no_loops(self, X):\n    return np.vectorize(abs)(X)\n", ""),
    ("def compute_distances_no_loops(self, X, i=0):\n"
     "    return X if i == len(X) else compute_distances_no_loops(self, X, i + 1)\n", ""),
], ids=["helper", "method", "lambda-chain", "map", "vectorize", "recursion"])
def test_loop_free_code_that_hands_the_loop_elsewhere_is_not_loop_free(source, other):
    assert python_loops(source, "compute_distances_no_loops", also=[other])


def test_truly_vectorised_code_with_helpers_has_no_loops():
    source = ("def _sq(A):\n    return np.sum(A * A, axis=1)\n\n"
              "def compute_distances_no_loops(self, X):\n"
              "    d = _sq(X)[:, None] + _sq(self.X_train)[None, :] - 2 * X @ self.X_train.T\n"
              "    return np.sqrt(np.maximum(d, 0))\n")
    assert python_loops(source, "compute_distances_no_loops", also=[LOOPING_TWO]) == []


def test_export_cells_never_start_a_formula():
    row = {"student": "=cmd|' /C calc'!A0", "flags": "+1 @SUM(A1) -2", "total": "16", "id": "ok-1"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writerow({k: cell_text(v) for k, v in row.items()})
    read = next(csv.reader(io.StringIO(out.getvalue())))
    assert read == ["'=cmd|' /C calc'!A0", "'+1 @SUM(A1) -2", "16", "ok-1"]


@pytest.mark.parametrize("raw, kept", [
    ("tamper:numpy.allclose", "tamper:numpy.allclose"), ("network", "network"),
    ("read:/etc/passwd", "read:/etc/passwd"), ('=HYPERLINK("x")', "forged-flag"),
    ("limit:memory", "forged-flag"), ("write:/x\n=1+1", "write:/x?=1+1"), (["x"], None),
])
def test_worker_flags_are_only_the_kinds_the_worker_reports(raw, kept):
    assert worker_flag(raw) == kept
