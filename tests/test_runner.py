"""run_checks semantics on small, honest notebooks, under each isolation mode available."""
import os

import numpy as np
import pytest

from dl4cv.magics import python_source
from dl4cv_grader.results import CheckFailed, CheckResult
from dl4cv_grader.runner import Check, CodeCell, Limits, run_checks, where_raised

LIMITS = Limits(memory_mb=512, wall_seconds_per_call=5, wall_seconds_setup=10)
MODES = ["minimal", pytest.param("full", marks=pytest.mark.skipif(os.geteuid() != 0, reason="full isolation needs root"))]

SETUP = CodeCell("setup", python_source("import numpy as np\n%matplotlib inline\n"), student=False)
STUDENT = CodeCell("task", '''
def double(x):
    return np.asarray(x) * 2

def todo(x):
    raise NotImplementedError("fill in double() first")

def wrong(x):
    return np.asarray(x) * 3

def distance(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b))

class Counter:
    def __init__(self, start):
        self.count = start
    def add(self, k):
        self.count += k
        return self.count
''')


def expect_double(name):
    """A check comparing ``name([1, 2])`` with the reference on the trusted side."""
    def check(student):
        got = student.call(name, [1, 2])
        if not isinstance(got, np.ndarray) or not np.array_equal(got, [2, 4]):
            raise CheckFailed("double([1, 2]) should be [2, 4]")
    return check


def forbidding_norm(student):
    student.forbid("numpy.linalg.norm")
    assert student.call("distance", [0.0, 0.0], [3.0, 4.0]) == 5.0


def using_handles(student):
    counter = student.new("Counter", 10)
    counter.call("add", 5)
    return 1.0 if (counter.call("add", k=1), counter.get("count")) == (16, 16) else 0.0


def half(student):
    return 0.5


def broken_check(student):
    raise KeyError("bug in the check itself")


CHECKS = [
    Check("pass", 2, expect_double("double")),
    Check("error", 1, expect_double("todo")),
    Check("fail", 1, expect_double("wrong")),
    Check("policy", 1, forbidding_norm),
    Check("handles", 1, using_handles),
    Check("partial", 4, half),
    Check("missing", 1, lambda student: student.call("not_there")),
    Check("internal", 1, broken_check),
    Check("static", 1, lambda student: None if student.uses("numpy.linalg.norm") == ["numpy.linalg.norm"] else 0),
]


@pytest.fixture(scope="module", params=MODES)
def graded(request):
    run = run_checks([SETUP, STUDENT], CHECKS, LIMITS, isolation=request.param)
    return request.param, {r.check_id: r for r in run.results}, run


def test_statuses_and_scores(graded):
    _, results, _ = graded
    summary = {cid: (r.status, r.score, r.max_score) for cid, r in results.items()}
    assert summary == {
        "pass": ("pass", 2.0, 2.0), "error": ("error", 0.0, 1.0), "fail": ("fail", 0.0, 1.0),
        "policy": ("policy", 0.0, 1.0), "handles": ("pass", 1.0, 1.0), "partial": ("fail", 2.0, 4.0),
        "missing": ("error", 0.0, 1.0), "internal": ("error", 0.0, 1.0), "static": ("pass", 1.0, 1.0),
    }


def test_messages_are_useful_and_do_not_leak_grader_internals(graded):
    _, results, _ = graded
    assert "NotImplementedError: fill in double() first" in results["error"].message
    assert "(cell task, line " in results["error"].message and "worker.py" not in results["error"].message
    assert "Traceback" not in results["error"].message
    assert "not_there is not defined" in results["missing"].message
    assert "numpy.linalg.norm" in results["policy"].message and "forbidden:numpy.linalg.norm" in results["policy"].flags
    assert "internal error" in results["internal"].message and "KeyError" not in results["internal"].message


def test_run_record_reports_isolation_and_round_trips(graded):
    mode, results, run = graded
    assert run.isolation.startswith(mode)
    assert run.cell_errors == {}
    assert CheckResult.from_dict(results["pass"].to_dict()) == results["pass"]
    assert run.to_dict()["results"][0]["check_id"] == "pass"


@pytest.mark.parametrize("mode", MODES)
def test_exception_in_one_cell_does_not_stop_the_next(mode):
    cells = [CodeCell("a", "x = 1\nraise ValueError('oops')"), CodeCell("b", "def f():\n    return x + 1")]
    run = run_checks(cells, [Check("f", 1, lambda s: None if s.call("f") == 2 else 0.0)], LIMITS, isolation=mode)
    assert run.results[0].status == "pass"
    assert "ValueError: oops" in run.cell_errors["a"] and "b" not in run.cell_errors


def test_minimal_report_names_what_is_missing():
    run = run_checks([CodeCell("a", "pass")], [], LIMITS, isolation="minimal")
    for missing in ("no separate user", "network not blocked", "files readable"):
        assert missing in run.isolation


def test_a_students_error_is_named_in_one_line_without_a_stack_trace():
    tb = ('Traceback (most recent call last):\n'
          '  File "<cell prelude>", line 17, in compute_distances_two_loops\n'
          '    return compute_distances_two_loops(self, X)\n'
          '  File "<cell knn_two_loops>", line 9, in compute_distances_two_loops\n'
          '    dists[i, j] = np.sqrt(x)\nNameError: name \'x\' is not defined')
    assert where_raised(tb) == " in compute_distances_two_loops (cell knn_two_loops, line 9: dists[i, j] = np.sqrt(x))"
    assert where_raised('  File "<cell setup>", line 2, in <module>\n') == " (cell setup, line 2)"
    assert where_raised("") == "" and where_raised(None) == ""
