"""Attacks on the grader's own logic (static loop policy, CSV export, flags), without a sandbox.

The notebook-level versions of these attacks are samples in ``dl4cv_grader.samples``
(``loop_helper``, ``forged_flag``, ``delegate_stash``), graded end to end in
``test_grader_grade.py``; the sandbox-level ones are in ``test_sandbox_attacks.py``.
"""
import csv
import hashlib
import io
import json

import numpy as np
import pytest

from dl4cv.classifiers.k_nearest_neighbor import KNearestNeighbor as Reference
from dl4cv_grader import checks, nbhygiene, samples
from dl4cv_grader.batch import course_salt, grade_batch
from dl4cv_grader.checks.a1_knn import _distance_cases, python_loops
from dl4cv_grader.grade import grade_file, submission_salt
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


@pytest.mark.parametrize("value", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "\n=1"])
def test_every_formula_start_is_escaped(value):
    # each character a spreadsheet reads as the start of a formula, one at a time
    assert cell_text(value) == "'" + value
    assert cell_text("a" + value) == "a" + value and cell_text(3) == 3


@pytest.mark.parametrize("raw, kept", [
    ("tamper:numpy.allclose", "tamper:numpy.allclose"), ("network", "network"),
    ("read:/etc/passwd", "read:/etc/passwd"), ('=HYPERLINK("x")', "forged-flag"),
    ("limit:memory", "forged-flag"), ("write:/x\n=1+1", "write:/x?=1+1"), (["x"], None),
])
def test_worker_flags_are_only_the_kinds_the_worker_reports(raw, kept):
    assert worker_flag(raw) == kept


SHAPE_FRAME = '''
import json, os, struct, sys
_body = json.dumps({"a": 0, "dtype": "<f8", "shape": [2**64, 0]}).encode()
os.write(3, b"DLCV" + struct.pack(">IIQ", len(_body), 1, 0) + _body)
'''


def _submit(course, student, change):
    nb = samples.fill(samples.released(), samples.reference_sources())
    change(nb)
    path = course / "submitted" / student / "a1" / "knn.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(nb), encoding="utf-8")


def _cell(nb, gid):
    return next(c for c in nb.cells if c.get("id") == gid)


@pytest.mark.slow
def test_submissions_that_once_crashed_the_coordinator_are_graded_and_the_batch_goes_on(tmp_path):
    course = tmp_path / "course"
    # Outputs that are not output dicts: nbformat.writes of the formgrader view raised.
    _submit(course, "odd_outputs", lambda nb: setattr(_cell(nb, "knn_two_loops"), "outputs", ["text", 7]))
    # A forged frame whose array shape NumPy refuses: the decoder raised ValueError, not ProtocolError.
    _submit(course, "odd_shape", lambda nb: setattr(_cell(nb, "knn_one_loop"), "source",
                                                    SHAPE_FRAME + _cell(nb, "knn_one_loop").source))
    summary = grade_batch("a1", course, jobs=1, progress=lambda line: None)
    assert summary.failed == []
    knn = [r for r in summary.records if r["notebook"] == "knn"]  # the other notebooks: missing
    scores = {r["student"]: r["score"] for r in knn}
    assert scores == {"odd_outputs": 16, "odd_shape": 13}
    odd_shape = next(r for r in knn if r["student"] == "odd_shape")
    assert "protocol" in odd_shape["flags"]


def test_check_inputs_follow_the_salt_of_the_grading_run():
    with checks.salted(7):
        first = checks.check_rng(11).random(4)
    with checks.salted(7):
        again = checks.check_rng(11).random(4)
    with checks.salted(8):
        other = checks.check_rng(11).random(4)
    assert np.array_equal(first, again) and not np.allclose(first, other)


def test_each_submission_of_a_course_gets_its_own_inputs():
    # Inputs a student leaked through one submission's feedback do not recur in the next.
    assert submission_salt(0, "a" * 64) == 0  # self-grading: the public inputs
    assert submission_salt(5, "a" * 64) == submission_salt(5, "a" * 64) > 0
    assert len({submission_salt(5, "a" * 64), submission_salt(5, "b" * 64), submission_salt(6, "a" * 64)}) == 3


def _reference_distances(X_train, X_test):
    knn = Reference()
    knn.train(X_train, np.zeros(len(X_train), dtype=np.int64))
    return knn.compute_distances_two_loops(X_test)


MEMORISED = '''
import hashlib
ANSWERS = {answers!r}

def compute_distances_two_loops(self, X):
    return np.array(ANSWERS[hashlib.sha256(np.ascontiguousarray(X).tobytes()).hexdigest()])
'''


def test_answers_memorised_from_the_public_checks_fail_under_a_course_salt(tmp_path):
    # The student runs the public check code with the default salt and stores the answers.
    with checks.salted(0):
        cases = _distance_cases(checks.check_rng(11))
    answers = {hashlib.sha256(X_test.tobytes()).hexdigest(): _reference_distances(X_train, X_test).tolist()
               for _, X_train, X_test in cases}
    sources = {**samples.reference_sources(), "knn_two_loops": MEMORISED.format(answers=answers)}
    path = tmp_path / "knn.ipynb"
    path.write_text(nbhygiene.dumps(samples.fill(samples.released(), sources)), encoding="utf-8")

    def two_loops_score(salt):
        record, _ = grade_file(path, "a1", salt=salt)
        return next(r["score"] for r in record["checks"] if r["check_id"] == "a1.knn.two_loops")

    assert two_loops_score(0) == 3  # the attack works when the inputs are predictable
    assert two_loops_score(course_salt(tmp_path / "course")) == 0
