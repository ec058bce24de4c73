"""``dl4cv-grade grade``: grade every collected submission with a local process pool.

Every student folder gets one record per notebook of the assignment: before anything is read
or hashed, ``inventory`` looks at each folder without following links and says, per notebook,
which file to grade (picking up an obvious rename) or why there is none (missing, a folder,
a link, a FIFO or device, too large, several candidates). Those records, with 0 points and
the reason, are made by the coordinator without a sandbox; files that cannot be parsed
(invalid JSON, nested too deeply, ...) get theirs from the worker, also without a sandbox.

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
check code. The same secret signs the submission times ``collect`` records (``provenance``).

Ctrl-C (SIGINT to the whole process group, as a terminal sends it): pool workers ignore it;
the coordinator stops taking results, ends its workers (their sandboxes end with them),
keeps every record already written and returns a summary marked ``interrupted``.
"""
import json
import logging
import multiprocessing
import os
import secrets
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dl4cv_grader import gradebook, manifest as manifests, provenance
from dl4cv_grader.grade import grade_file, manifest_digest
from dl4cv_grader.inventory import inventory
from dl4cv_grader.manifest import REPO
from dl4cv_grader.notebook_io import Submission, file_sha256, printable

log = logging.getLogger(__name__)


@dataclass
class BatchSummary:
    """What a batch did; ``records`` holds every current record, graded now or before.

    Each (student, notebook) ends in exactly one of: ``graded`` (now), ``skipped`` (graded
    before, unchanged), ``ungradable`` (a record with 0 points and a reason, now or before)
    or ``failed`` (no record; retried next run)."""

    graded: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    ungradable: list = field(default_factory=list)  # (student, notebook, reason)
    records: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (student, notebook, why)
    interrupted: bool = False

    def line(self):
        """The one-line summary ``dl4cv-grade grade`` prints."""
        reasons = Counter(reason for _, _, reason in self.ungradable)
        by_reason = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
        return (f"graded {len(self.graded)}, unchanged {len(self.skipped)}, ungradable "
                f"{len(self.ungradable)}" + (f" ({by_reason})" if by_reason else "")
                + f", failed {len(self.failed)}")


def record_path(course_dir, assignment, student, notebook):
    return Path(course_dir) / "dl4cv_records" / assignment / student / f"{notebook}.json"


def write_atomic(path, text):
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _read_record(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_record(path, sha256, digest):
    """The record at ``path`` if it is complete and current, else None."""
    record = _read_record(path)
    if record is None or record.get("submission_sha256") != sha256 or record.get("manifest") != digest:
        return None
    return record


_SAME_UNGRADABLE = ("ungradable", "reason", "submission", "manifest", "submission_sha256", "notes")


def course_salt(course_dir):
    """The course's secret check salt (an int), created on first use, readable by its owner only."""
    path = Path(course_dir) / "dl4cv_records" / "check-salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{secrets.randbits(63)}\n")
    return int(path.read_text().strip())


def _init_worker(coordinator_pid):
    """Pool worker initializer: leave Ctrl-C to the coordinator, and exit once the coordinator
    is gone (killed, say), instead of waiting for jobs forever. A spawned worker holds both ends
    of the job queue's pipe, so it never sees end-of-file; it notices that its parent changed
    (polled every second). A sandbox it was driving sees its control pipe close and ends too.

    SIGINT gets a handler that does nothing (not SIG_IGN, which would be inherited by the
    sandbox through exec); it was blocked while the worker started (see ``grade_batch``)."""
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

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


def _complete(record, extra):
    """Add what the coordinator knows to a worker's record: provenance and the rename note."""
    record.update(extra["fields"])
    record["read_flags"] = record["read_flags"] + extra["flags"]
    record["notes"] = record["notes"] + extra["notes"]
    return record


def _ungradable_record(entry, assignment, manifest, repo):
    """The 0-point record of an entry that has no file to read (made here, no sandbox)."""
    sub = Submission(entry.path, flags=[entry.reason], fatal=entry.message)
    record, _ = grade_file(entry.path, assignment, student=entry.student, manifest=manifest,
                           notebook=entry.notebook, repo=repo, sub=sub)
    record["notes"] += [entry.note] if entry.note else []
    return record


def grade_batch(assignment, course_dir, students=None, jobs=1, isolation="auto", repo=REPO,
                progress=print):
    """Grade all (or ``students``') submissions of ``assignment`` in ``course_dir``."""
    course_dir, repo = Path(course_dir).resolve(), Path(repo).resolve()
    manifest = manifests.load(assignment, repo / "autograder" / "manifests")
    digests, salt = {}, course_salt(course_dir)
    gradebook.register(assignment, course_dir, repo)
    summary, pending, new_ungradable, missing = BatchSummary(), [], [], {}
    for entry in inventory(course_dir, assignment, manifest, students):
        digest = digests.setdefault(entry.notebook, manifest_digest(manifest["notebooks"][entry.notebook]))
        where = record_path(course_dir, assignment, entry.student, entry.notebook)
        sha = None
        if not entry.reason:
            try:
                sha = file_sha256(entry.path)
            except OSError as exc:  # it changed since inventory looked at it
                entry.reason, entry.message = "unreadable", f"{printable(entry.path.name)} cannot be read ({exc.strerror})"
        if entry.reason:
            record, old = _ungradable_record(entry, assignment, manifest, repo), _read_record(where)
            if old is not None and all(old.get(k) == record.get(k) for k in _SAME_UNGRADABLE):
                record = old
            else:
                new_ungradable.append(record)
                if entry.reason == "missing":
                    missing.setdefault(entry.student, []).append(entry.notebook)
                else:
                    progress(f"{printable(entry.student):>20s} {entry.notebook}: 0 points, "
                             f"{entry.reason}: {entry.message}")
            summary.ungradable.append((entry.student, entry.notebook, entry.reason))
            summary.records.append(record)
            continue
        record = load_record(where, sha, digest)
        if record is not None:
            (summary.ungradable.append((entry.student, entry.notebook, record["ungradable"]))
             if record.get("ungradable") else summary.skipped.append((entry.student, entry.notebook)))
            summary.records.append(record)
            continue
        fields, flags, notes = provenance.for_record(entry.path.parent, entry.notebook, salt, sha)
        pending.append({
            "path": str(entry.path), "assignment": assignment, "student": entry.student,
            "notebook": entry.notebook, "manifest": manifest, "isolation": isolation, "repo": str(repo),
            "salt": salt, "timestamp": fields["timestamp"], "note": entry.note,
            "extra": {"fields": fields, "flags": flags, "notes": notes + ([entry.note] if entry.note else [])},
            "hidden_paths": [str(course_dir), str(repo / "solutions"), str(repo / "autograder")],
        })
    for record in new_ungradable:
        write_atomic(record_path(course_dir, assignment, record["student"], record["notebook"]),
                     json.dumps(record, indent=1, sort_keys=True))
    gradebook.write_records(course_dir, summary.records)  # new ones, and a replay: idempotent
    for student, notebooks in sorted(missing.items()):
        progress(f"{printable(student):>20s} missing: " + ", ".join(f"{nb}.ipynb" for nb in notebooks))
    if summary.skipped:
        progress(f"{len(summary.skipped)} submission(s) already graded (unchanged), skipped")
    if pending:
        _run_pool(pending, jobs, course_dir, summary, progress)
    return summary


def _run_pool(pending, jobs, course_dir, summary, progress):
    """Grade ``pending`` in a process pool; store each result as it comes (coordinator only)."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context,
                               initializer=_init_worker, initargs=(os.getpid(),))
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # workers start with it blocked
    try:
        futures = {pool.submit(_grade_job, {k: v for k, v in job.items() if k != "extra"}): job
                   for job in pending}
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        for future in as_completed(futures):
            job = futures[future]
            try:
                record, view = future.result()
            except Exception as exc:  # noqa: BLE001 -- one submission must never stop the batch
                why = printable(f"{type(exc).__name__}: {exc}"[:500])
                log.error("grading %s failed", job["path"], exc_info=exc)
                summary.failed.append((job["student"], job["notebook"], why))
                progress(f"{printable(job['student']):>20s} {job['notebook']}: NOT GRADED ({why}); "
                         "the rest of the batch goes on, and the next run tries it again")
                continue
            record = _complete(record, job["extra"])
            _store(course_dir, record, view)
            summary.records.append(record)
            if record["ungradable"]:
                summary.ungradable.append((record["student"], record["notebook"], record["ungradable"]))
                progress(f"{printable(record['student']):>20s} {record['notebook']}: 0 points, "
                         f"{record['ungradable']}: {record['reason']}")
                continue
            summary.graded.append((record["student"], record["notebook"]))
            flags = ", ".join(record["flags"] + record["read_flags"])
            progress(f"{printable(record['student']):>20s} {record['notebook']}: {record['score']:g} / "
                     f"{record['max_score']:g}" + (f"  [{printable(flags)}]" if flags else "")
                     + (f"  ({job['note']})" if job["note"] else ""))
    except KeyboardInterrupt:
        summary.interrupted = True
        _end_workers(pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _end_workers(pool):
    """Ctrl-C: cancel what has not started and end the workers (and so their sandboxes)."""
    workers = list((pool._processes or {}).values())  # no public way before Python 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(10)
        if worker.is_alive():
            worker.kill()
            worker.join()


def _store(course_dir, record, view):
    """Coordinator only: record, formgrader view, then gradebook rows."""
    a, s, nb = record["assignment"], record["student"], record["notebook"]
    write_atomic(record_path(course_dir, a, s, nb), json.dumps(record, indent=1, sort_keys=True))
    write_atomic(course_dir / "autograded" / s / a / f"{nb}.ipynb", view)
    gradebook.write_records(course_dir, [record])
