"""The no-loops policy follows what the code calls: library calls that do not loop (printing,
logging, warnings, tqdm.write, NumPy's ufunc reductions) and loop-free helpers pass; loops,
looping calls, recursion and looping helpers are found, also through a progress bar."""
import pytest

from dl4cv_grader.checks.loops import python_loops

F = "def compute_distances_no_loops(self, X):\n"
BODY = "    return np.sqrt(np.maximum(np.sum(X * X, axis=1)[:, None], 0))\n"
LOOPING_LOG = "def log(*values):\n    for v in values:\n        print(v)\n"


@pytest.mark.parametrize("source, other", [
    (F + "    print('computing distances for', X.shape)\n" + BODY, ""),
    ("import logging\nlogger = logging.getLogger(__name__)\n\n" + F
     + "    logger.info('distances for %s', X.shape)\n    logging.debug('start')\n" + BODY, ""),
    ("import warnings\n\n" + F + "    warnings.warn('this may use a lot of memory')\n" + BODY, ""),
    ("from tqdm.auto import tqdm\n\n" + F + "    tqdm.write('computing')\n    bar = tqdm(total=1)\n"
     "    bar.update(1)\n    bar.close()\n" + BODY, ""),
    ("def _sq(A):\n    return np.sum(A * A, axis=1)\n\n" + F + "    return np.sqrt(_sq(X))\n", ""),
    # NumPy's ufunc methods are vectorised, whatever functools.reduce is called.
    (F + "    sq = np.add.reduce(X * X, axis=1)\n    return np.maximum.accumulate(sq)\n", ""),
    # A helper named like a library function is the student's only when the code calls it.
    (F + "    return np.log(np.exp(X))\n", LOOPING_LOG),
    # A loop-free helper that wraps a library call of the same name is not recursion.
    ("import warnings\n\ndef warn(message):\n    warnings.warn(message, stacklevel=2)\n\n"
     + F + "    warn('slow')\n" + BODY, ""),
    ("import logging\n\ndef log(message):\n    logging.log(logging.INFO, message)\n\n"
     + F + "    log('start')\n" + BODY, ""),
    ("%load_ext autoreload\n" + F + "    %time d = np.sum(X * X, axis=1)\n    return d\n", ""),
], ids=["print", "logging", "warnings", "tqdm-write-and-bar", "loop-free-helper", "ufunc-reduce",
        "np-log-beside-a-looping-log", "warn-wrapper", "log-wrapper", "magics"])
def test_honest_vectorised_code_has_no_loops(source, other):
    assert python_loops(source, "compute_distances_no_loops", also=[other]) == []


@pytest.mark.parametrize("source, other, found", [
    ("from tqdm import tqdm\n\n" + F + "    for _ in tqdm(range(1)):\n        pass\n" + BODY, "", "for loop"),
    (F + "    log(X)\n" + BODY, LOOPING_LOG, "for loop at line 2 in log"),
    ("from functools import reduce\n\n" + F + "    return reduce(lambda a, b: a + b, X)\n", "",
     "functools.reduce()"),
    ("import itertools as it\n\n" + F + "    return list(it.accumulate(X))\n", "", "itertools.accumulate()"),
    ("def _walk(A, i=0):\n    return A if i >= len(A) else _walk(A, i + 1)\n\n" + F + "    return _walk(X)\n",
     "", "recursion at line 2 in _walk"),
    ("class _Rows:\n    def run(self, A):\n        return [a for a in A]\n\n" + F + "    return _Rows().run(X)\n",
     "", "list comprehension at line 3 in _Rows"),
], ids=["progress-bar-around-a-loop", "looping-helper", "functools-reduce", "itertools-alias",
        "recursive-helper", "looping-class"])
def test_loops_are_found_through_what_the_code_calls(source, other, found):
    loops = python_loops(source, "compute_distances_no_loops", also=[other])
    assert any(found in loop for loop in loops), loops
