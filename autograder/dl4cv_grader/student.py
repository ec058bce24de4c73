"""The trusted-side proxy a check uses to talk to the student's code in the sandbox.

A check receives a :class:`Student`; everything it gets back is plain data decoded and
validated on this side (numbers, strings, NumPy arrays, lists/tuples/dicts of them), so a
check compares with the reference here, where the student cannot interfere::

    def check_distances(student):
        student.forbid("numpy.linalg.norm", "scipy")
        knn = student.new("KNearestNeighbor")
        knn.call("train", X_train, y_train)
        dists = knn.call("compute_distances_two_loops", X_test)
        if not np.allclose(dists, reference(X_test)):       # NumPy of the *grader*
            raise CheckFailed("distances are wrong")

Calls raise the :mod:`~dl4cv_grader.sandbox.errors` exceptions (re-exported here). After a
``CallTimeout`` or ``SandboxDied`` the sandbox is gone: every later call of the same check
raises the same exception, and the check's status is that one even if the check caught it.
"""
import time

from .results import CheckFailed
from .sandbox.errors import (BadReturn, CallTimeout, ForbiddenCall, NotDefined, SandboxDied, StudentCodeError,
                             StudentRaised)
from .sandbox.policy import static_uses

__all__ = ["BadReturn", "CallTimeout", "ForbiddenCall", "Handle", "NotDefined", "SandboxDied", "Student",
           "StudentCodeError", "StudentRaised", "static_uses"]

MAX_TEXT = 4000
MAX_FLAGS = 50


def _text(reply, key):
    """A string field of a reply, capped; a non-string means the worker broke the protocol."""
    value = reply.get(key)
    if type(value) is not str:
        raise _Garbled(f"field {key!r} is not a string")
    return value[:MAX_TEXT]


#: The flags the worker reports (see worker.py); anything else in a reply was forged.
WORKER_FLAGS = ("ipython", "network", "subprocess")
WORKER_FLAG_PREFIXES = ("tamper:", "read:", "write:")


def worker_flag(flag):
    """A worker-reported flag as it may be recorded, or None if it is not a string.

    The worker shares its process with the student's code, so its flags are untrusted text:
    only the kinds the worker reports are kept (capped, non-printable characters replaced);
    any other text becomes ``forged-flag`` (it must not reach records, feedback or the CSV
    export as written, e.g. ``=HYPERLINK(...)``).
    """
    if type(flag) is not str:
        return None
    flag = "".join(ch if ch.isprintable() else "?" for ch in flag[:200])
    return flag if flag in WORKER_FLAGS or flag.startswith(WORKER_FLAG_PREFIXES) else "forged-flag"


class _Garbled(Exception):
    """A reply that decodes but does not make sense."""


class Student:
    """The student's notebook, as seen by one check (see the module docstring).

    ``sandbox``: a running :class:`~dl4cv_grader.sandbox.Sandbox`; ``cells``: the
    submission's :class:`~dl4cv_grader.runner.CodeCell` list (for :meth:`uses`);
    ``timeout``: wall-clock seconds allowed per call.
    """

    def __init__(self, sandbox, cells, timeout, deadline=None, budget=(0.0, "")):
        self._sandbox = sandbox
        self._cells = cells
        self._timeout = timeout
        self._deadline = deadline  # time.monotonic() by which all of the check's calls must end
        self._budget = budget  # (seconds, what for) of that deadline, for the message
        self._forbidden = ()
        self._task = None
        self._plugins = {}
        self.died = None
        self.flags = []

    def call(self, name, *args, check_unchanged=True, **kwargs):
        """Call the top-level function ``name`` defined by the cells; returns plain data.

        ``check_unchanged``: the call fails (``CheckFailed``, naming the argument) if it changed
        an array argument in place. On by default, CS231n's contract for every function whose
        inputs are read-only; pass False for one that may update its input (an optimizer step).
        """
        return self._ask({"op": "call", "name": name, "handle": None, "args": list(args), "kwargs": kwargs,
                          "check_unchanged": bool(check_unchanged)})

    def new(self, class_name, *args, **kwargs):
        """Instantiate the student's class ``class_name``; returns a :class:`Handle`."""
        return self._ask({"op": "new", "name": class_name, "args": list(args), "kwargs": kwargs})

    def has(self, name):
        """Whether the cells defined a top-level ``name`` (as reported by the sandbox)."""
        return self._ask({"op": "has", "name": name}) is True

    def forbid(self, *qualnames, task=None):
        """Forbid APIs (e.g. ``"numpy.linalg.norm"``, ``"scipy"``) during this check's later calls.

        Enforced by tripwires inside the sandbox: best-effort, since student code shares that
        process. Use :meth:`uses` for the authoritative static check. The library's own
        functions and classes are poisoned, so every reference to them trips. ``task``: the
        graded task (grade_id); a forbidden module that its cells imported, or tried to
        import, when they ran also counts as a forbidden call.
        """
        self._forbidden = tuple(dict.fromkeys(self._forbidden + qualnames))
        self._task = task if task is not None else self._task

    def plug_in(self, **qualnames):
        """During this check's later calls, the cells' top-level names ``qualnames`` refer to
        library objects instead (``affine_forward="dl4cv.layers.affine_forward"``): the
        student's model runs with the library's reference for every other task."""
        self._plugins.update(qualnames)

    def uses(self, *qualnames):
        """Which of ``qualnames`` the student's cells use, by static analysis of their source."""
        context = "\n".join(c.source for c in self._cells if not c.student)
        source = "\n".join(c.source for c in self._cells if c.student)
        return static_uses(source, qualnames, context=context)

    def _ask(self, message):
        """Send one request and interpret the reply (raising the documented exceptions)."""
        if self.died is not None:
            raise self.died
        message["forbid"] = list(self._forbidden)
        message["task"] = self._task
        message["plugins"] = dict(self._plugins)
        timeout = self._timeout
        if self._deadline is not None:
            timeout = min(timeout, self._deadline - time.monotonic())
            if timeout <= 0:
                self.died = CallTimeout(*self._budget)
                raise self.died
        try:
            reply = self._sandbox.request(message, timeout)
            self._take_flags(reply.get("flags"))
            return self._interpret(reply, message)
        except _Garbled as exc:
            self._sandbox.flags.append("protocol")
            self._sandbox.kill()
            self.died = SandboxDied("crash", f"garbled reply: {exc}")
        except CallTimeout as exc:
            self.died = exc if timeout == self._timeout else CallTimeout(*self._budget)
        except SandboxDied as exc:
            self.died = exc
        raise self.died

    def _take_flags(self, flags):
        """Keep the worker's advisory flags (strings only, capped)."""
        if type(flags) is not list:
            raise _Garbled("flags is not a list")
        for flag in map(worker_flag, flags):
            if flag is not None and flag not in self.flags and len(self.flags) < MAX_FLAGS:
                self.flags.append(flag)

    def _interpret(self, reply, message):
        """Value, Handle or exception for a reply to ``message``."""
        kind = reply.get("kind")
        if kind == "ok":
            return reply.get("value")
        if kind == "handle" and message["op"] == "new" and type(reply.get("handle")) is int:
            return Handle(self, reply["handle"])
        if kind == "raised":
            raise StudentRaised(_text(reply, "type"), _text(reply, "message"), _text(reply, "traceback"))
        if kind == "not_defined":
            raise NotDefined(message["name"])
        if kind == "bad_return":
            raise BadReturn(_text(reply, "why"))
        if kind == "forbidden" and reply.get("qualname") in self._forbidden:
            raise ForbiddenCall(reply["qualname"])
        if kind == "changed_input" and message.get("check_unchanged"):
            raise CheckFailed(f"{message['name']} changed its input {_text(reply, 'argument')[:200]} in place; "
                              "compute into a new array (for example np.maximum(x, 0) or x.copy())")
        if kind == "invalid":
            raise RuntimeError(f"the sandbox did not understand a grader request: {_text(reply, 'why')}")
        raise _Garbled(f"unexpected reply kind {str(kind)[:50]!r}")


class Handle:
    """An object living in the sandbox (created by :meth:`Student.new`)."""

    def __init__(self, student, handle_id):
        self._student = student
        self._id = handle_id

    def call(self, method, *args, check_unchanged=True, **kwargs):
        """Call ``method`` on the object; returns plain data (``check_unchanged``: as
        :meth:`Student.call`)."""
        return self._student._ask({"op": "call", "name": method, "handle": self._id,
                                   "args": list(args), "kwargs": kwargs,
                                   "check_unchanged": bool(check_unchanged)})

    def get(self, attr):
        """Read attribute ``attr``; returns plain data."""
        return self._student._ask({"op": "get", "name": attr, "handle": self._id})
