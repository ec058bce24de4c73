"""Run a list of checks against one submission's code in a sandbox.

:func:`run_checks` starts a sandbox, executes the cells in order (an exception in one cell
is recorded for its task and execution goes on), then runs each check in this trusted
process with a :class:`~dl4cv_grader.student.Student` proxy. A timeout, crash or memory
kill loses that check only: the sandbox is killed and a fresh one (re-running the cells)
serves the remaining checks. A cell that hangs or kills the process during set-up is
recorded in ``cell_errors`` and left out of the re-run.
"""
import hashlib
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

from .results import CheckFailed, CheckResult, PolicyViolation
from .sandbox import Limits, Sandbox
from .sandbox.errors import (BadReturn, CallTimeout, ForbiddenCall, NotDefined, SandboxDied, StudentCodeError,
                             StudentRaised)
from .student import MAX_FLAGS, Student, worker_flag

__all__ = ["Check", "CodeCell", "Limits", "SubmissionRun", "run_checks"]

log = logging.getLogger(__name__)
MAX_MESSAGE = 4000
INTERNAL_ERROR = ("the grader could not run this check (an internal error, not your code's fault); "
                  "it has been logged for your instructor")
_INTERNAL = object()  # outcome of a check that raised an unexpected exception


@dataclass
class CodeCell:
    """One code cell, executed in order in the sandbox.

    ``student``: False for instructor cells (imports, data set-up); only student cells are
    scanned by ``Student.uses``.
    """

    task_id: str
    source: str
    student: bool = True


@dataclass
class Check:
    """One check: ``fn(student)`` returns None (full marks) or a fraction in [0, 1], or
    raises ``CheckFailed``/``PolicyViolation``/a ``StudentCodeError``."""

    check_id: str
    points: float
    fn: Callable[[Student], Optional[float]]


@dataclass
class SubmissionRun:
    """Everything one grading run produced.

    ``cell_errors``: task id -> student-visible traceback (notebook frames only).
    ``flags``: run-level integrity flags. ``isolation``: what was in force and what is
    missing. ``stdout``/``stderr``: capped excerpts of the student's output.
    """

    results: list = field(default_factory=list)
    cell_errors: dict = field(default_factory=dict)
    flags: list = field(default_factory=list)
    isolation: str = ""
    stdout: str = ""
    stderr: str = ""

    def to_dict(self):
        """JSON-ready dict."""
        data = asdict(self)
        data["results"] = [r.to_dict() for r in self.results]
        return data


def _add_flags(target, flags):
    for flag in flags:
        if flag not in target:
            target.append(flag)


class _Session:
    """The current sandbox for a submission; restarts it (re-running the cells) when needed."""

    def __init__(self, cells, limits, isolation, hidden_paths, exposed_paths, seed):
        self.cells, self.limits, self.seed = cells, limits, seed
        self.options = dict(isolation=isolation, hidden_paths=hidden_paths, exposed_paths=exposed_paths)
        self.run = SubmissionRun()
        self.skipped = set()
        self.sandbox = None
        self.deadline = time.monotonic() + limits.wall_seconds_total

    def ensure(self):
        """A sandbox with the cells executed (starting a fresh one if needed)."""
        while self.sandbox is None:
            self.sandbox = Sandbox(self.limits, **self.options)
            self.run.isolation = self.sandbox.description
            if not self._run_cells():
                self.stop()
        return self.sandbox

    def _run_cells(self):
        """Execute the cells; False if one hung or killed the sandbox (it is then skipped)."""
        deadline = time.monotonic() + self.limits.wall_seconds_setup
        try:
            self.sandbox.request({"op": "seed", "seed": random_seed(self.seed, "")}, self.limits.wall_seconds_setup)
        except (CallTimeout, SandboxDied):
            return True  # gone already: the checks will say so
        for index, cell in enumerate(self.cells):
            if index in self.skipped:
                continue
            remaining = max(deadline - time.monotonic(), 0.1)
            try:
                reply = self.sandbox.request({"op": "cell", "task_id": cell.task_id, "source": cell.source}, remaining)
            except (CallTimeout, SandboxDied) as exc:
                self.skipped.add(index)
                self.run.cell_errors.setdefault(cell.task_id, f"this cell stopped the notebook: {exc}")
                return False
            flags = reply.get("flags")
            kept = [worker_flag(f) for f in flags] if type(flags) is list else []
            _add_flags(self.run.flags, [f for f in kept if f is not None][:MAX_FLAGS])
            error = reply.get("error")
            if type(error) is str:
                self.run.cell_errors.setdefault(cell.task_id, error[:MAX_MESSAGE])
        return True

    def stop(self):
        """Kill the current sandbox, keeping its flags and output."""
        if self.sandbox is None:
            return
        _add_flags(self.run.flags, self.sandbox.close())
        for name in ("stdout", "stderr"):
            text = getattr(self.sandbox, name).text()
            joined = getattr(self.run, name) + ("\n[sandbox restarted]\n" if getattr(self.run, name) else "") + text
            setattr(self.run, name, joined[: self.limits.output_kb * 1024])
        self.sandbox = None


def random_seed(seed, name):
    """The seed of the sandbox's random states for check ``name`` ("" for the cells) of a
    submission graded with ``seed``: a 63-bit int, the same in every grading."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _reset_random(student, sandbox, seed, timeout):
    """Reset the sandbox's random states; a sandbox that dies doing so is the check's outcome."""
    try:
        sandbox.request({"op": "seed", "seed": seed}, timeout)
    except (CallTimeout, SandboxDied) as exc:
        student.died = exc
        raise


_NOTEBOOK_FRAME = re.compile(r'File "<cell ([^>]+)>", line (\d+), in (\S+)\n[ \t]*([^\n]*)')


def where_raised(traceback_text):
    """`` in F (cell C, line N: source)`` for the innermost notebook frame of a student's
    traceback (notebook frames only, see the worker), or "": a check message names the place
    in one line instead of showing a stack trace."""
    frames = _NOTEBOOK_FRAME.findall(traceback_text or "")
    if not frames:
        return ""
    cell, line, function, source = frames[-1]
    where = f" in {function}" if function != "<module>" else ""
    return f"{where} (cell {cell}, line {line}" + (f": {source.strip()[:120]})" if source.strip() else ")")


def _verdict(check, outcome, cell_errors):
    """``(status, score, message)`` for what ``check.fn`` returned or raised."""
    if outcome is None:
        return "pass", float(check.points), ""
    if isinstance(outcome, (int, float)) and not isinstance(outcome, bool) and 0 <= outcome <= 1:
        return ("pass" if outcome == 1 else "fail"), check.points * outcome, (
            "" if outcome == 1 else f"partial credit: {outcome:.0%}")
    if isinstance(outcome, CheckFailed):
        return "fail", check.points * outcome.partial, str(outcome)
    if isinstance(outcome, (PolicyViolation, ForbiddenCall)):
        return "policy", 0.0, str(outcome)
    if isinstance(outcome, StudentRaised):
        status = "memory" if outcome.exc_type == "MemoryError" else "error"
        return status, 0.0, f"{outcome}{where_raised(outcome.traceback)}"
    if isinstance(outcome, NotDefined):
        hint = f" (these cells raised errors: {', '.join(cell_errors)})" if cell_errors else ""
        return "error", 0.0, str(outcome) + hint
    if isinstance(outcome, BadReturn):
        return "fail", 0.0, str(outcome)
    if isinstance(outcome, CallTimeout):
        return "timeout", 0.0, str(outcome)
    if isinstance(outcome, SandboxDied):
        return outcome.kind, 0.0, str(outcome)
    if outcome is not _INTERNAL:
        log.error("check %s returned %r; return None or a fraction in [0, 1]", check.check_id, outcome)
    return "error", 0.0, INTERNAL_ERROR


def _run_one(session, check):
    """Run one check in the current sandbox and build its result."""
    started = time.monotonic()
    limits = session.limits
    if started >= session.deadline:  # the notebook used up its time: no sandbox for this check
        return CheckResult(check.check_id, 0.0, float(check.points), "timeout",
                           str(CallTimeout(limits.wall_seconds_total, "grading the whole notebook")), 0.0, [])
    sandbox = session.ensure()
    deadline, budget = min((started + limits.wall_seconds_per_check, (limits.wall_seconds_per_check, "one check")),
                           (session.deadline, (limits.wall_seconds_total, "grading the whole notebook")))
    student = Student(sandbox, session.cells, limits.wall_seconds_per_call, deadline, budget)
    try:
        _reset_random(student, sandbox, random_seed(session.seed, check.check_id), limits.wall_seconds_per_call)
        outcome = check.fn(student)
    except (CheckFailed, PolicyViolation, StudentCodeError) as exc:
        outcome = exc
    except Exception:  # noqa: BLE001 -- a broken check must not stop the others
        log.exception("check %s raised", check.check_id)
        outcome = _INTERNAL
    if student.died is not None:
        outcome = student.died
    status, score, message = _verdict(check, outcome, session.run.cell_errors)
    flags = list(student.flags)
    if isinstance(outcome, ForbiddenCall):
        flags.append(f"forbidden:{outcome.qualname}")
    if session.sandbox is not None:
        _add_flags(flags, session.sandbox.observe_limits())
    if student.died is not None:
        _add_flags(flags, getattr(student.died, "flags", []))
        session.stop()
    if "limit:pids" in flags and status != "pass":
        message += f" (your code reached the limit of {limits.tasks} processes and threads running at once)"
    return CheckResult(check.check_id, score, float(check.points), status, message[:MAX_MESSAGE],
                       round(time.monotonic() - started, 3), flags)


def run_checks(cells, checks, limits=Limits(), isolation="auto", hidden_paths=(), exposed_paths=(), seed=0):
    """Execute ``cells`` in a sandbox and run ``checks`` against them; returns a SubmissionRun.

    isolation: ``"full"`` (root on Linux), ``"minimal"`` (any user; see
    ``SubmissionRun.isolation`` for what it lacks) or ``"auto"``.
    hidden_paths: directories never visible to the sandbox (the autograder and the repo's
    ``solutions/`` always are hidden; under full isolation anything not exposed is invisible).
    exposed_paths: extra host paths the sandbox may read (e.g. a dataset directory).
    seed: an int mixed with each check id into the sandbox's random seeds (a batch passes the
    submission's salt); the same seed gives the same random numbers in every grading.
    Raises ``SandboxSetupError`` if no sandbox can be started (a host problem).
    """
    session = _Session(list(cells), limits, isolation, list(hidden_paths), list(exposed_paths), seed)
    try:
        for check in checks:
            session.run.results.append(_run_one(session, check))
        if session.sandbox is None and not checks:
            session.ensure()
    finally:
        session.stop()
    for result in session.run.results:
        _add_flags(session.run.flags, result.flags)
    return session.run
