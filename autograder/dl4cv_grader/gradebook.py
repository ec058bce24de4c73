"""Scores into nbgrader's gradebook; only the batch coordinator calls this module.

The gradebook (``<course>/gradebook.db``, SQLite by default; any nbgrader ``db_url``) gets
the assignment's cells from nbgrader's own ``generate_assignment`` (``register``), then one
submission per results record (``write_record``): ``auto_score`` on each grade cell, and the
manually graded answer cells left for formgrader (no auto score, needs manual grading),
exactly as nbgrader's autograde leaves them. Writing a record twice gives the same rows, so
a resumed batch can replay its records safely.
"""
import tempfile
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from dl4cv_grader.manifest import REPO
from dl4cv_grader.release import alembic_on_path, nbgrader_generate


def db_url(course_dir):
    """The SQLite gradebook URL of a course directory (nbgrader can then create it)."""
    alembic_on_path()
    return f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


def register(assignment, course_dir, repo=REPO):
    """Make sure the course gradebook knows ``assignment``'s notebooks and cells."""
    with Gradebook(db_url(course_dir)) as gb:
        try:
            known = {nb.name for nb in gb.find_assignment(assignment).notebooks}
        except MissingEntry:
            known = set()
    wanted = {p.stem for p in (Path(repo) / "solutions" / assignment).glob("*.ipynb")}
    if wanted and wanted <= known:
        return
    with tempfile.TemporaryDirectory(prefix="dl4cv-register-") as tmp:
        nbgrader_generate(assignment, Path(repo), Path(tmp), course_dir)


def write_record(gb, record):
    """Put one results record's scores into the open Gradebook ``gb`` (idempotent)."""
    assignment, student, notebook = record["assignment"], record["student"], record["notebook"]
    gb.update_or_create_student(student)
    kwargs = {"timestamp": record["timestamp"]} if record.get("timestamp") else {}
    gb.update_or_create_submission(assignment, student, **kwargs)
    for grade_id, cell in record["grade_cells"].items():
        grade = gb.find_grade(grade_id, notebook, assignment, student)
        grade.auto_score = cell["score"]
        grade.needs_manual_grade = grade.manual_score is not None
    for grade_id in record["manual_cells"]:
        grade = gb.find_grade(grade_id, notebook, assignment, student)
        grade.auto_score = None
        grade.needs_manual_grade = grade.manual_score is None
        comment = gb.find_comment(grade_id, notebook, assignment, student)
        comment.auto_comment = "No response." if grade_id in record.get("unanswered", []) else None
    gb.db.commit()


def write_records(course_dir, records):
    """Open the course gradebook once and write every record in ``records``."""
    with Gradebook(db_url(course_dir)) as gb, warnings.catch_warnings():
        # nbgrader 0.9's update_or_create_submission trips SQLAlchemy 2's autoflush
        # "not in session" SAWarning; the rows are written correctly (see the gradebook tests).
        warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
        for record in records:
            write_record(gb, record)


def scores(course_dir, assignment):
    """``{(student, notebook): {grade_id: score}}`` from the gradebook (manual scores win;
    None where neither the grader nor a person has scored the cell yet)."""
    out = {}
    with Gradebook(db_url(course_dir)) as gb:
        for submission in gb.find_assignment(assignment).submissions:
            for nb in submission.notebooks:
                out[(submission.student.id, nb.name)] = {
                    g.name: None if g.auto_score is None and g.manual_score is None else g.score
                    for g in nb.grades}
    return out
