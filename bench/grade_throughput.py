"""Notebooks graded per minute: dl4cv-grade (--jobs 1, --jobs 2) next to plain nbgrader autograde.

Usage: .venv/bin/python bench/grade_throughput.py [--correct 10] [--partial 10] [--out bench/results_grading.md]

The same generated submissions (correct and partly wrong a1/knn notebooks) are graded three
ways in one run, each in a fresh course directory: `nbgrader autograde` (executes each whole
notebook in one kernel, in smoke mode with a synthetic CIFAR-10 so it can run offline) and
`dl4cv-grade grade` with one and two parallel submissions. Wall-clock time of each whole
command (the one-off set-up of each course's gradebook is not timed, for either grader); the
result table is written as Markdown.
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dl4cv_grader import gradebook, samples
from dl4cv_grader.manifest import REPO


def make_course(root, n_correct, n_partial):
    kinds = ["reference"] * n_correct + ["partial"] * n_partial
    for i, kind in enumerate(kinds):
        samples.make(kind, root / "submitted" / f"s{i:03d}" / "a1")
    return len(kinds)


def timed(cmd, env, cwd):
    start = time.perf_counter()
    run = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return seconds


def bench_nbgrader(root, count, env):
    shutil.copytree(REPO / "solutions" / "a1", root / "source" / "a1")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = %r\nc.CourseDirectory.course_id = 'bench'\n"
        "c.ExecutePreprocessor.timeout = 300\n" % str(root))
    nbgrader = [sys.executable, "-m", "nbgrader"]
    timed(nbgrader + ["generate_assignment", "a1", "--force"], env, root)
    return timed(nbgrader + ["autograde", "a1", "--create", "--force"], env, root)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--correct", type=int, default=10)
    ap.add_argument("--partial", type=int, default=10)
    ap.add_argument("--out", default=str(REPO / "bench" / "results_grading.md"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dl4cv-bench-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        from dl4cv.data.synthetic import generate

        generate("cifar10", root=data, num_train=1000, num_test=200)
        env = dict(os.environ, DL4CV_SMOKE="1", DL4CV_DATA_DIR=str(data), MPLBACKEND="Agg",
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        rows = []
        count = make_course(tmp / "nbgrader", args.correct, args.partial)
        rows.append(("nbgrader autograde (one kernel per notebook, sequential)",
                     bench_nbgrader(tmp / "nbgrader", count, env)))
        for jobs in (1, 2):
            course = tmp / f"dl4cv-{jobs}"
            make_course(course, args.correct, args.partial)
            gradebook.register("a1", course)  # like nbgrader's generate_assignment: not timed
            cmd = [sys.executable, "-m", "dl4cv_grader.cli", "grade", "a1", "--course-dir", str(course),
                   "--jobs", str(jobs)]
            rows.append((f"dl4cv-grade grade --jobs {jobs}", timed(cmd, env, REPO)))
    lines = [
        "# Grading throughput (a1/knn)", "",
        f"Measured by `bench/grade_throughput.py` in one run: {count} submissions "
        f"({args.correct} correct, {args.partial} partly wrong), {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Wall-clock time of the whole command, including "
        "start-up but not the one-off gradebook set-up (generate_assignment); nbgrader runs each whole notebook (smoke mode, synthetic data), dl4cv-grade "
        "runs only the graded cells in its sandbox and the hidden checks.", "",
        "| grader | seconds | notebooks per minute |", "|---|---:|---:|",
    ] + [f"| {name} | {sec:.1f} | {60 * count / sec:.1f} |" for name, sec in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
