"""nbgrader settings shared by ``dl4cv-grade release`` and every course folder.

``release`` reads this file with the repository as nbgrader's course: ``solutions/`` is the
source directory and ``assignments/`` the release directory. An instructor's course folder
(``dl4cv-grade course init``) has its own nbgrader_config.py, which loads this one and sets
the course root, its gradebook and ``solutions/`` as the source, so ``jupyter lab`` started
there shows formgrader with the course. Grading does not use nbgrader's autograde (see
docs/autograder.md).
"""
c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "dl4cv"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"
# Released notebooks are normalised by dl4cv's hygiene step; nbgrader must not add headers.
c.IncludeHeaderFooter.header = ""
c.IncludeHeaderFooter.footer = ""
