"""``dl4cv-grade``: the instructor's command line (each command is also a Python function).

    dl4cv-grade release a1 [--check] [--course-dir DIR]
    dl4cv-grade collect a1 --from FOLDER_OR_ZIP [--course-dir DIR]
    dl4cv-grade grade a1 [--student S ...] [--jobs N] [--course-dir DIR]
    dl4cv-grade feedback a1 [--student S ...] [--course-dir DIR]
    dl4cv-grade export a1 --to grades.csv [--due "2025-10-01 23:59"] [--course-dir DIR]
    dl4cv-grade similarity a1 [--out report.html] [--top N] [--course-dir DIR]
    dl4cv-grade self path/to/knn.ipynb [--assignment a1]
    dl4cv-grade hygiene [--fix] [PATH ...]
    dl4cv-grade demo [--course-dir DIR]
    dl4cv-grade course init [DIR]

The course folder (made by ``course init``; default: ``--course-dir``, else
``$DL4CV_COURSE_DIR``, else the course folder at or above the current directory) holds
nbgrader's layout: ``submitted/``, ``autograded/``, ``feedback/``, ``gradebook.db``, plus the
results records in ``dl4cv_records/``. See docs/autograder.md.
"""
import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from dl4cv import shell

from dl4cv_grader import course as courses
from dl4cv_grader import manifest as manifests
from dl4cv_grader.manifest import REPO, ManifestError


def _course(args):
    return courses.find(args.course_dir)


def cmd_release(args):
    from dl4cv_grader.release import release

    result = release(args.assignment, course_dir=args.course_dir, check=args.check)
    if args.check:
        if result.up_to_date:
            print(f"assignments/{args.assignment} and its manifests are up to date")
            return 0
        print(f"assignments/{args.assignment} is out of date with solutions/{args.assignment}:")
        print("\n".join(f"  {line}" for line in result.differences))
        print(f"run `{shell.script('dl4cv-grade')} release {args.assignment}` and commit the result")
        return 1
    for path, copy in result.kept.items():
        print(f"{Path(path).relative_to(REPO)} held edits no release made (a student's work?): "
              f"kept them in {copy} before replacing it. Students work in their own copies: "
              f"{shell.module('dl4cv.start', args.assignment)}")
    for path in result.written:
        print(f"wrote {Path(path).relative_to(REPO)}")
    print(f"released {args.assignment}" + ("" if result.written else " (nothing changed)"))
    return 0


def cmd_collect(args):
    from dl4cv_grader.collect import collect

    report = collect(args.assignment, args.source, _course(args), manifests.load(args.assignment))
    if not report.lines():
        print(f"nothing to collect: {args.source} holds no notebook")
        return 1
    print("\n".join(report.lines()))
    return 1 if report.problems else 0


def cmd_grade(args):
    from dl4cv_grader.batch import grade_batch

    summary = grade_batch(args.assignment, _course(args), students=args.student, jobs=args.jobs,
                          isolation=args.isolation)
    print(f"{summary.line()}; scores are in {_course(args) / 'gradebook.db'}")
    if summary.interrupted:
        print(f"interrupted: the {len(summary.records)} record(s) finished so far are kept; run "
              f"`dl4cv-grade grade {args.assignment} --course-dir {_course(args)}` again to grade the "
              "rest (finished submissions are not graded again)")
        return 130
    if summary.failed:
        print(f"NOT graded {len(summary.failed)} (see above; run the command again to retry them): "
              + ", ".join(f"{student}/{notebook}" for student, notebook, _ in summary.failed))
        return 1
    return 0


def cmd_feedback(args):
    from dl4cv_grader.feedback import feedback

    paths = feedback(args.assignment, _course(args), students=args.student)
    print(f"wrote {len(paths)} feedback page(s) under {_course(args) / 'feedback'}")
    return 0


def cmd_export(args):
    from dl4cv_grader.export import export

    rows = export(args.assignment, _course(args), args.to, due=args.due)
    print(f"wrote {rows} row(s) to {args.to}")
    return 0


def cmd_similarity(args):
    from dl4cv_grader.similarity import write_report

    out = Path(args.out or _course(args) / f"similarity-{args.assignment}.html")
    pairs, skipped = write_report(args.assignment, _course(args), out, top=args.top)
    for pair in pairs[:min(args.top, 10)]:
        print(f"  {pair.score:4.0%}  {pair.notebook}: {pair.a.student!r} and {pair.b.student!r}")
    print(f"compared {len(pairs)} pair(s) with shared code, {len(skipped)} submission(s) not compared; "
          f"report: {out}")
    return 0


def cmd_self(args):
    from dl4cv_grader.selfgrade import report, self_grade

    if not Path(args.path).is_file():
        raise FileNotFoundError(f"no notebook file {args.path}; give the path of your .ipynb")
    record = self_grade(args.path, assignment=args.assignment, notebook=args.notebook,
                        isolation=args.isolation)
    print(report(record))
    return 0


def cmd_hygiene(args):
    from dl4cv_grader import nbhygiene

    paths = [Path(p) for p in args.paths] or nbhygiene.notebooks_under(REPO / "solutions", REPO / "assignments")
    bad = 0
    for path in paths:
        if args.fix:
            if nbhygiene.normalise_file(path):
                print(f"normalised {path}")
            continue
        for problem in nbhygiene.problems(path):
            bad += 1
            print(f"{path}: {problem}")
    if bad:
        print(f"run `{shell.script('dl4cv-grade')} hygiene --fix` to normalise")
    return 1 if bad else 0


DEMO_COURSE = REPO / "course" / "demo"


def cmd_demo(args):
    from dl4cv_grader import samples
    from dl4cv_grader.batch import grade_batch
    from dl4cv_grader.feedback import records
    from dl4cv_grader.release import fresh_view, release

    state = release("a1", check=True)
    print("assignments/a1 is up to date with solutions/a1" if state.up_to_date else
          f"assignments/a1 is out of date: run `{shell.script('dl4cv-grade')} release a1`")
    course = Path(args.course_dir).resolve() if args.course_dir else DEMO_COURSE
    if course == DEMO_COURSE and courses.is_course(course):
        shutil.rmtree(course)  # the demo's own folder: made afresh each time
    courses.init(course)
    with tempfile.TemporaryDirectory(prefix="dl4cv-demo-") as tmp:
        view = fresh_view("a1", tmp)  # never the working tree's copies, which a student may fill in
        for kind in ("reference", "blank", "partial", "deleted", "patch_allclose"):
            samples.make(kind, course / "submitted" / f"demo_{kind}" / "a1", repo=view)
    grade_batch("a1", course, jobs=2, progress=lambda line: None)
    for record in records(course, "a1"):
        if record["notebook"] != "knn":  # the samples are knn notebooks; the rest are missing
            continue
        print(f"  {record['student']:22s} {record['score']:4g} / {record['max_score']:g}")
    print(f"demo course: {course}\n"
          f"  formgrader: cd {course} && {shell.script('jupyter')} lab\n"
          f"  feedback:   {shell.script('dl4cv-grade')} feedback a1 --course-dir {course}")
    return 0


def cmd_course_init(args):
    folder = courses.init(args.folder)
    grade = shell.script("dl4cv-grade")
    print(f"course folder: {folder} (assignments: {', '.join(courses.assignments())})\n"
          f"Work inside it (or set DL4CV_COURSE_DIR={folder}):\n"
          f"  cd {folder}\n"
          f"  {grade} collect a1 --from export.zip\n"
          f"  {grade} grade a1\n"
          f"  {shell.script('jupyter')} lab      # formgrader lists this course")
    return 0


def parser():
    p = argparse.ArgumentParser(prog="dl4cv-grade", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_text):
        s = sub.add_parser(name, help=help_text, description=help_text)
        s.set_defaults(func=func)
        return s

    def course(s):
        s.add_argument("--course-dir", help="course folder (default: $DL4CV_COURSE_DIR, else the one "
                                             "made by `course init` at or above the current directory)")

    s = command("release", cmd_release, "generate assignments/<a> from solutions/<a> with nbgrader")
    s.add_argument("assignment")
    s.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is out of date")
    s.add_argument("--course-dir", help="also record the assignment in this course's gradebook")
    s = command("collect", cmd_collect, "copy submissions from a folder or LMS zip into submitted/")
    s.add_argument("assignment")
    s.add_argument("--from", dest="source", required=True, help="folder or .zip of submissions")
    course(s)
    s = command("grade", cmd_grade, "grade collected submissions in the sandbox (resumable)")
    s.add_argument("assignment")
    s.add_argument("--student", action="append", help="only this student (repeatable)")
    s.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel submissions")
    s.add_argument("--isolation", default="auto", help="sandbox isolation (default: best available)")
    course(s)
    s = command("feedback", cmd_feedback, "write one HTML feedback page per student notebook")
    s.add_argument("assignment")
    s.add_argument("--student", action="append", help="only this student (repeatable)")
    course(s)
    s = command("export", cmd_export, "write grades as CSV (scores from the gradebook)")
    s.add_argument("assignment")
    s.add_argument("--to", required=True, help="CSV file to write")
    s.add_argument("--due", help="due date, e.g. '2025-10-01 23:59' (UTC) for the late columns")
    course(s)
    s = command("similarity", cmd_similarity, "rank pairs of submissions by shared graded code (HTML report)")
    s.add_argument("assignment")
    s.add_argument("--out", help="HTML file to write (default: <course>/similarity-<assignment>.html)")
    s.add_argument("--top", type=int, default=50, help="pairs to show in the report (default: 50)")
    course(s)
    s = command("self", cmd_self, "grade one notebook here and print a report (nothing is stored)")
    s.add_argument("path", help="your notebook, e.g. knn.ipynb")
    s.add_argument("--assignment", default="a1", help="the assignment it belongs to (default: a1)")
    s.add_argument("--notebook", help="which notebook it is, e.g. knn (default: from the file name, "
                                      "else from its cells)")
    s.add_argument("--isolation", default="auto", help="sandbox isolation (default: best available)")
    s = command("hygiene", cmd_hygiene, "check (or --fix) the notebooks under solutions/ and assignments/")
    s.add_argument("paths", nargs="*")
    s.add_argument("--fix", action="store_true")
    s = command("demo", cmd_demo, "check the a1 release and grade a few sample submissions")
    s.add_argument("--course-dir", help=f"course folder for the demo (default: {DEMO_COURSE}, made afresh)")
    s = command("course", None, "make an instructor's course folder: course init [DIR]")
    init = s.add_subparsers(dest="action", required=True, metavar="ACTION").add_parser(
        "init", help="make (or update) a course folder with its own nbgrader_config.py")
    init.add_argument("folder", nargs="?", help=f"where (default: {courses.DEFAULT})")
    init.set_defaults(func=cmd_course_init)
    return p


def known_assignment(assignment):
    """``assignment`` if the course has it (a folder under solutions/), else ValueError naming those it has."""
    known = sorted(p.name for p in (REPO / "solutions").glob("*") if p.is_dir() and not p.name.startswith("."))
    if assignment not in known:
        raise ValueError(f"there is no assignment {assignment!r}; this course has: "
                         f"{', '.join(known) or 'none (no folder under solutions/)'}")
    return assignment


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if getattr(args, "assignment", None) is not None:
            known_assignment(args.assignment)
        return args.func(args)
    except (FileNotFoundError, FileExistsError, ManifestError, ValueError, KeyError) as exc:
        print(f"dl4cv-grade {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside grading's own handling: nothing half-written is kept
        print(f"dl4cv-grade {args.command}: interrupted; run the command again to finish", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
