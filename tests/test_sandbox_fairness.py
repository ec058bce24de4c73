"""The sandbox is fair to honest code: repeatable, roomy for threads, deaf to stray threads and
children the cells left running, and indistinguishable from a notebook for the graded code.

Real sandboxes (``full`` needs root on Linux; ``minimal`` runs anywhere).
"""
import os
import time

import numpy as np
import pytest

from dl4cv_grader.results import CheckFailed
from dl4cv_grader.runner import Check, CodeCell, Limits, run_checks

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="full isolation needs root")
MODES = [pytest.param("full", marks=root_only), "minimal"]
LIMITS = Limits(memory_mb=512, wall_seconds_per_call=10, wall_seconds_setup=20)
HONEST = CodeCell("honest", "def double(x):\n    return [2 * v for v in x]\n")


def honest_check(student):
    if student.call("double", [1, 2]) != [2, 4]:
        raise CheckFailed("double is wrong")


RANDOM = '''
import random
import numpy as np
def noisy_score(x):
    """A 'prediction' whose quality depends on every kind of global randomness."""
    picks = np.random.choice(len(x), size=2)                 # NumPy's legacy global state
    jitter = random.random()                                  # Python's random
    fresh = np.random.default_rng().random()                 # an unseeded Generator (OS entropy)
    return float((np.asarray(x)[picks].mean() + jitter + fresh) / 3)
'''


def scoring(student):
    """Partial credit equal to what the student's random code returns (in [0, 1])."""
    return min(max(student.call("noisy_score", [0.1, 0.5, 0.9]), 0.0), 1.0)


def _scores(mode, seed, check_ids=("a", "b", "c", "d")):
    run = run_checks([CodeCell("random", RANDOM)], [Check(c, 1, scoring) for c in check_ids], LIMITS,
                     isolation=mode, seed=seed)
    return {r.check_id: (r.status, r.score) for r in run.results}


@pytest.mark.parametrize("mode", MODES)
def test_a_submission_using_randomness_gets_the_same_score_every_time(mode):
    first, second, third = (_scores(mode, seed=1234) for _ in range(3))
    assert first == second == third
    assert len({score for _, score in first.values()}) > 1  # the checks draw different numbers
    assert _scores(mode, seed=99) != first  # the seed is what decides them
    # Each check starts from its own state, whatever the checks before it drew.
    assert _scores(mode, seed=1234, check_ids=("c",))["c"] == first["c"]


THREADS = '''
import threading
from concurrent.futures import ThreadPoolExecutor
import numpy as np

def pooled_double(x):
    import tempfile
    with tempfile.TemporaryFile() as scratch:   # honest writes in the scratch space are not flagged
        scratch.write(b"x")
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda v: 2 * v, x))

def row_norms(X):
    """One thread per row, all alive at once (they meet at a barrier): wasteful, but honest."""
    X = np.asarray(X)
    out = [0.0] * len(X)
    barrier = threading.Barrier(len(X))
    def work(i):
        barrier.wait()
        out[i] = float(np.sqrt((X[i] ** 2).sum()))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(X))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out
'''


def pooled(student):
    if student.call("pooled_double", list(range(32))) != [2 * v for v in range(32)]:
        raise CheckFailed("wrong")


def per_row(student):
    X = np.arange(300.0).reshape(100, 3)
    if not np.allclose(student.call("row_norms", X), np.linalg.norm(X, axis=1)):
        raise CheckFailed("wrong")


@pytest.mark.parametrize("mode", MODES)
def test_honest_threads_score_full_marks(mode):
    run = run_checks([CodeCell("threads", THREADS)], [Check("pool", 1, pooled), Check("rows", 1, per_row)],
                     Limits(memory_mb=512, wall_seconds_per_call=30), isolation=mode)
    assert [(r.status, r.score) for r in run.results] == [("pass", 1.0), ("pass", 1.0)], run.results
    assert run.flags == []


PRINTER = '''
import threading
import numpy as np
def _chatter():
    while True:
        print("tick " * 20_000)             # 100 kB a line: the captured output fills fast
        np.linalg.norm(np.ones(3))           # a call some checks forbid
threading.Thread(target=_chatter, daemon=True).start()
'''
SLOW = '''
import time
def slow_double(x):
    print("graded output")
    time.sleep(0.5)                          # the chatter thread runs meanwhile
    return [2 * v for v in x]
'''


def forbidding_norm(student):
    student.forbid("numpy.linalg.norm")
    if student.call("slow_double", [1, 2]) != [2, 4]:
        raise CheckFailed("wrong")


@pytest.mark.parametrize("mode", MODES)
def test_a_thread_left_printing_by_a_cell_changes_no_check_and_no_output(mode):
    run = run_checks([CodeCell("printer", PRINTER), CodeCell("slow", SLOW), HONEST],
                     [Check("norm", 1, forbidding_norm), Check("honest", 1, honest_check)], LIMITS, isolation=mode)
    assert [(r.status, r.score) for r in run.results] == [("pass", 1.0), ("pass", 1.0)], run.results
    assert "graded output" in run.stdout and "output-truncated" not in run.flags


CHILD = '''
import multiprocessing, os, time
def _loop():
    while True:
        print("child tick", flush=True)
        time.sleep(0.01)
_child = multiprocessing.Process(target=_loop)
_child.start()
def child_pid():
    return _child.pid
def die():
    os._exit(1)
'''


@pytest.mark.parametrize("mode", MODES)
def test_a_child_process_left_running_by_a_cell_changes_no_check_and_dies_with_the_sandbox(mode):
    pids = []
    run = run_checks([CodeCell("child", CHILD), HONEST],
                     [Check("pid", 1, lambda s: pids.append(s.call("child_pid"))),
                      Check("die", 1, lambda s: s.call("die")), Check("honest", 1, honest_check)],
                     LIMITS, isolation=mode)
    # The child holds no copy of the protocol socket: the worker's death is seen at once, as a crash.
    assert [r.status for r in run.results] == ["pass", "crash", "pass"], run.results
    assert "background-process" in run.flags
    if mode == "minimal":  # a host pid: the child was killed (SIGKILL lands asynchronously)
        assert _ends(pids[0])


def _ends(pid, seconds=30):
    """True once ``pid`` is gone or a zombie (killed, waiting for its reaper)."""
    for _ in range(int(seconds / 0.1)):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


DETECTOR = '''
import os, socket, sys

SIGNS = ("grad", "sandbox", "dl4cv_grader")

def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""

def grading_signs():
    """Everything a graded function might look at, with the Python installation's own path
    taken out (it is the same virtualenv the student runs locally)."""
    install = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)} | {sys.prefix, sys.base_prefix},
                     key=len, reverse=True)
    texts = [*os.environ, *os.environ.values(), os.getcwd(), os.path.expanduser("~"), socket.gethostname(),
             *sys.argv, *getattr(sys, "orig_argv", []), _read("/proc/self/cmdline"), _read("/proc/self/environ"),
             _read(f"/proc/{os.getppid()}/cmdline"), _read("/proc/1/cmdline") if os.getppid() == 1 else "",
             *sys.modules, str(getattr(sys.modules["__main__"], "__file__", "")), *os.listdir(".")]
    found = []
    for text in texts:
        for prefix in install:
            text = text.replace(prefix, "")
        if any(sign in text.lower() for sign in SIGNS):
            found.append(text[:200])
    return found

class Classifier:
    def predict(self, x):
        return [3 * v for v in x] if grading_signs() else [2 * v for v in x]
'''


@pytest.mark.parametrize("mode", MODES)
def test_code_that_cheats_only_when_graded_sees_no_sign_of_grading(mode):
    seen = {}

    def check(student):
        seen["signs"] = student.call("grading_signs")
        if student.new("Classifier").call("predict", [1, 2]) != [2, 4]:
            raise CheckFailed("wrong predictions")

    run = run_checks([CodeCell("detector", DETECTOR)], [Check("predict", 1, check)], LIMITS, isolation=mode)
    assert seen["signs"] == [] and (run.results[0].status, run.results[0].score) == ("pass", 1.0)
