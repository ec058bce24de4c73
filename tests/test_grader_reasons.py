"""A broken task cell gives each affected check a reason a student can act on, never a
traceback of the grader: a deleted cell says "missing", a cell that does not parse says
where and why, a NUL byte is named; the other tasks are graded as usual."""
import json

import pytest

from dl4cv.submit import check, syntax_problem
from dl4cv_grader import nbhygiene, samples
from dl4cv_grader.grade import grade_file


def _write(path, notebook, change):
    nb = samples.fill(samples.released(notebook), samples.reference_sources(notebook))
    raw = json.loads(nbhygiene.dumps(nb))
    change(raw)
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def _cell(raw, gid):
    return next(c for c in raw["cells"] if c.get("id") == gid)


def _messages(record):
    return {r["check_id"]: (r["status"], r["score"], r["message"]) for r in record["checks"]}


def _break_knn(raw):
    raw["cells"].remove(_cell(raw, "knn_one_loop"))  # deleted
    no_loops = _cell(raw, "knn_no_loops")
    no_loops["source"] = no_loops["source"].replace("\n", "\n\0", 1)  # a NUL byte on line 2
    two = _cell(raw, "knn_two_loops")  # the first loop loses its colon
    two["source"] = two["source"].replace("for i in range(num_test):", "for i in range(num_test)")


@pytest.fixture(scope="module")
def broken_knn(tmp_path_factory):
    path = _write(tmp_path_factory.mktemp("broken") / "knn.ipynb", "knn", _break_knn)
    return path, grade_file(path, "a1")[0]


def test_a_deleted_cell_is_missing_not_a_name_error(broken_knn):
    status, score, message = _messages(broken_knn[1])["a1.knn.one_loop"]
    assert score == 0 and status == "error"
    assert message.startswith("the cell that defines compute_distances_one_loop (task knn_one_loop) is "
                              "missing; restore it from the released notebook")
    assert "NameError" not in message and "Traceback" not in message


def test_a_nul_byte_is_named_with_its_line(broken_knn):
    for check_id in ("a1.knn.no_loops", "a1.knn.no_loops.vectorised"):
        status, score, message = _messages(broken_knn[1])[check_id]
        assert score == 0 and message.startswith(
            "the cell that defines compute_distances_no_loops does not parse: line 2: it contains a NUL byte")


def test_a_cell_that_does_not_parse_says_where(broken_knn):
    status, score, message = _messages(broken_knn[1])["a1.knn.two_loops"]
    source = samples.reference_sources()["knn_two_loops"]
    line = source[:source.index("for i in range(num_test)")].count("\n") + 1
    assert score == 0 and message.startswith(
        f"the cell that defines compute_distances_two_loops does not parse: line {line}: ")
    assert "Traceback" not in message and "File " not in message


def test_the_other_tasks_are_graded_as_usual(broken_knn):
    messages = _messages(broken_knn[1])
    assert messages["a1.knn.predict_labels"][:2] == ("pass", 2.0)
    assert broken_knn[1]["score"] == 4
    assert broken_knn[1]["flags"] == []  # mistakes, not tampering


def test_the_students_own_check_gives_the_same_reasons(broken_knn, capsys):
    assert check(broken_knn[0]) is False
    out = capsys.readouterr().out
    assert "compute_distances_two_loops does not parse: line " in out and "line 2: it contains a NUL byte" in out
    assert "compute_distances_one_loop (task knn_one_loop) is missing" in out


def test_a_renamed_definition_says_which_name_to_keep(tmp_path):
    def rename(raw):
        cell = _cell(raw, "knn_predict_labels")
        cell["source"] = cell["source"].replace("def predict_labels(", "def predict(")

    record, _ = grade_file(_write(tmp_path / "knn.ipynb", "knn", rename), "a1")
    status, score, message = _messages(record)["a1.knn.predict_labels.ties"]
    assert score == 0 and "no longer defines predict_labels; keep the released name" in message


ONE_LOOP_BY_ROWS = """
def compute_distances_one_loop(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        dists[i] = compute_distances_two_loops(self, X[i:i + 1])[0]
    return dists
"""


def test_a_check_that_calls_a_deleted_task_names_that_task(tmp_path):
    # one_loop reuses the student's two_loops, whose cell was deleted: one_loop's check says so.
    def change(raw):
        _cell(raw, "knn_one_loop")["source"] = ONE_LOOP_BY_ROWS
        raw["cells"].remove(_cell(raw, "knn_two_loops"))

    record, _ = grade_file(_write(tmp_path / "knn.ipynb", "knn", change), "a1")
    status, score, message = _messages(record)["a1.knn.one_loop"]
    assert score == 0 and message.startswith(
        "this check calls compute_distances_two_loops, and the cell that defines compute_distances_two_loops "
        "(task knn_two_loops) is missing")
    assert "NameError" not in message and "Traceback" not in message


@pytest.mark.parametrize("source, problem", [
    ("def f(x):\n    return x\n", ""),
    ("%timeit f(1)\ndef f(x):\n    return x\n", ""),  # a magic is not a syntax error
    ("def f(x):\n    return (x\n", "line 2: "),
    ("x = 1\n\0y = 2\n", "line 2: it contains a NUL byte"),
])
def test_syntax_problems_in_words(source, problem):
    assert syntax_problem(source).startswith(problem) and bool(syntax_problem(source)) == bool(problem)
