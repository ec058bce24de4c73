"""Scores into nbgrader's gradebook: idempotent writes, manual cells left for formgrader."""
import pytest
from nbgrader.api import Gradebook

from dl4cv_grader import gradebook


def _record(student, score):
    return {"assignment": "a1", "notebook": "knn", "student": student,
            "timestamp": "2025-01-02T03:04:05+00:00",
            "grade_cells": {"knn_two_loops_check": {"score": score, "max_score": 3.0},
                            "knn_no_loops_check": {"score": 6.0, "max_score": 6.0}},
            "manual_cells": ["knn_q1", "knn_q2", "knn_q3"], "unanswered": ["knn_q2"]}


@pytest.mark.slow
def test_writes_are_idempotent_and_keep_manual_grades(tmp_path):
    gradebook.register("a1", tmp_path)
    gradebook.write_records(tmp_path, [_record("ann", 1.5), _record("bob", 3.0)])
    with Gradebook(gradebook.db_url(tmp_path)) as gb:
        gb.find_grade("knn_q1", "knn", "a1", "ann").manual_score = 2.0  # as formgrader would
        gb.db.commit()
    gradebook.write_records(tmp_path, [_record("ann", 1.5), _record("ann", 1.5)])
    scores = gradebook.scores(tmp_path, "a1")
    assert scores[("ann", "knn")]["knn_two_loops_check"] == 1.5
    assert scores[("ann", "knn")]["knn_q1"] == 2.0 and scores[("ann", "knn")]["knn_q3"] is None
    assert scores[("bob", "knn")]["knn_two_loops_check"] == 3.0
    with Gradebook(gradebook.db_url(tmp_path)) as gb:
        assert len(gb.find_assignment("a1").submissions) == 2
        assert gb.find_grade("knn_q3", "knn", "a1", "ann").needs_manual_grade
        assert not gb.find_grade("knn_q1", "knn", "a1", "ann").needs_manual_grade
        assert not gb.find_grade("knn_two_loops_check", "knn", "a1", "ann").needs_manual_grade
        assert gb.find_comment("knn_q2", "knn", "a1", "ann").auto_comment == "No response."
        assert gb.find_submission("a1", "ann").timestamp.year == 2025
