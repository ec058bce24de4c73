"""``dl4cv-grade grade``: grade every collected submission with a local process pool.

The coordinator (the calling process) is the only writer of records, formgrader views and
the gradebook; pool workers only grade (each in turn drives its own sandbox). For each
finished submission, in this order: the record is written atomically (temporary file +
rename) to ``<course>/dl4cv_records/<a>/<student>/<notebook>.json``, the formgrader view to
``<course>/autograded/<student>/<a>/<notebook>.ipynb``, then the scores go to the gradebook.

Resuming: a submission whose record exists and names the same submission sha256 and
digest (the notebook's manifest entry and check code, ``grade.manifest_digest``) is not
graded again. Before grading, every such record is written to the gradebook
again (writing is idempotent), so a coordinator killed between a record and its gradebook
rows loses nothing, and nothing is graded or counted twice.

Check inputs: every submission of a course is graded with the course's secret salt
(``<course>/dl4cv_records/check-salt``, made on first use; the sandbox never sees the course
directory), mixed with the submission's sha256 (``grade.submission_salt``), so a submission's
hidden inputs are the same across runs and resumes but cannot be computed from the public
check code.
"""
import json
import logging
import multiprocessing
import os
import secrets
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dl4cv_grader import gradebook, manifest as manifests
from dl4cv_grader.collect import read_timestamp
from dl4cv_grader.grade import grade_file, manifest_digest
from dl4cv_grader.manifest import REPO
from dl4cv_grader.notebook_io import file_sha256

log = logging.getLogger(__name__)


@dataclass
class BatchSummary:
    """What a batch did; ``records`` holds every current record, graded now or before."""

    graded: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    records: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (student, notebook, why): no record; retried next run


def record_path(course_dir, assignment, student, notebook):
    return Path(course_dir) / "dl4cv_records" / assignment / student / f"{notebook}.json"


def write_atomic(path, text):
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def submissions(course_dir, assignment, manifest, students=None):
    """``[(student, notebook, path)]`` under ``<course>/submitted``, sorted."""
    found = []
    for path in sorted((Path(course_dir) / "submitted").glob(f"*/{assignment}/*.ipynb")):
        student = path.parents[1].name
        if (students and student not in students) or path.stem not in manifest["notebooks"]:
            continue
        found.append((student, path.stem, path))
    return found


def load_record(path, sha256, digest):
    """The record at ``path`` if it is complete and current, else None."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("submission_sha256") != sha256 or record.get("manifest") != digest:
        return None
    return record


def course_salt(course_dir):
    """The course's secret check salt (an int), created on first use, readable by its owner only."""
    path = Path(course_dir) / "dl4cv_records" / "check-salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{secrets.randbits(63)}\n")
    return int(path.read_text().strip())


def _exit_with_coordinator(coordinator_pid):
    """Pool worker initializer: exit once the coordinator is gone (killed, say), instead of
    waiting for jobs forever. A spawned worker holds both ends of the job queue's pipe, so it
    never sees end-of-file; it notices that its parent changed (polled every second). A sandbox
    it was driving sees its control pipe close and ends too."""

    def watch():
        while os.getppid() == coordinator_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="dl4cv-coordinator-watch", daemon=True).start()


def _grade_job(job):
    """Pool worker: grade one submission; returns (record, formgrader view as JSON text)."""
    record, view = grade_file(job["path"], job["assignment"], student=job["student"],
                              manifest=job["manifest"], notebook=job["notebook"],
                              isolation=job["isolation"], hidden_paths=job["hidden_paths"],
                              timestamp=job["timestamp"], repo=job["repo"], salt=job["salt"])
    return record, nbformat.writes(view)


def grade_batch(assignment, course_dir, students=None, jobs=1, isolation="auto", repo=REPO,
                progress=print):
    """Grade all (or ``students``') submissions of ``assignment`` in ``course_dir``."""
    course_dir, repo = Path(course_dir).resolve(), Path(repo).resolve()
    manifest = manifests.load(assignment, repo / "autograder" / "manifests")
    digests, salt = {}, course_salt(course_dir)
    gradebook.register(assignment, course_dir, repo)
    summary, pending = BatchSummary(), []
    for student, notebook, path in submissions(course_dir, assignment, manifest, students):
        record = load_record(record_path(course_dir, assignment, student, notebook),
                             file_sha256(path), digests.setdefault(
                                 notebook, manifest_digest(manifest["notebooks"][notebook])))
        if record is not None:
            summary.skipped.append((student, notebook))
            summary.records.append(record)
            continue
        timestamp = read_timestamp(path.parent)
        pending.append({
            "path": str(path), "assignment": assignment, "student": student, "notebook": notebook,
            "manifest": manifest, "isolation": isolation, "repo": str(repo), "salt": salt,
            "timestamp": timestamp.isoformat() if timestamp else None,
            "hidden_paths": [str(course_dir), str(repo / "solutions"), str(repo / "autograder")],
        })
    gradebook.write_records(course_dir, summary.records)  # replay: idempotent
    if summary.skipped:
        progress(f"{len(summary.skipped)} submission(s) already graded (unchanged), skipped")
    if not pending:
        return summary
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context,
                             initializer=_exit_with_coordinator, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(_grade_job, job): job for job in pending}
        for future in as_completed(futures):
            try:
                record, view = future.result()
            except Exception as exc:  # noqa: BLE001 -- one submission must never stop the batch
                job = futures[future]
                why = f"{type(exc).__name__}: {exc}"[:500]
                log.error("grading %s failed", job["path"], exc_info=exc)
                summary.failed.append((job["student"], job["notebook"], why))
                progress(f"{job['student']:>20s} {job['notebook']}: NOT GRADED ({why}); "
                         "the rest of the batch goes on, and the next run tries it again")
                continue
            _store(course_dir, record, view)
            summary.graded.append((record["student"], record["notebook"]))
            summary.records.append(record)
            flags = ", ".join(record["flags"] + record["read_flags"])
            progress(f"{record['student']:>20s} {record['notebook']}: {record['score']:g} / "
                     f"{record['max_score']:g}" + (f"  [{flags}]" if flags else ""))
    return summary


def _store(course_dir, record, view):
    """Coordinator only: record, formgrader view, then gradebook rows."""
    a, s, nb = record["assignment"], record["student"], record["notebook"]
    write_atomic(record_path(course_dir, a, s, nb), json.dumps(record, indent=1, sort_keys=True))
    write_atomic(course_dir / "autograded" / s / a / f"{nb}.ipynb", view)
    gradebook.write_records(course_dir, [record])
