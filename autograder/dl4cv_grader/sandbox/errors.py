"""What a check can see go wrong when it talks to the student's code.

All are :class:`StudentCodeError`; the runner turns an uncaught one into a status:

=====================  ========================================================
StudentRaised          ``error`` (``memory`` for a MemoryError)
NotDefined             ``error``
BadReturn              ``fail``
ForbiddenCall          ``policy``
CallTimeout            ``timeout``
SandboxDied            ``memory``, ``crash`` or ``timeout`` (its ``kind``)
=====================  ========================================================
"""


class StudentCodeError(Exception):
    """Base class; ``str(exc)`` is a student-visible message."""


class StudentRaised(StudentCodeError):
    """The student's code raised ``exc_type`` (a name) with ``message``; ``traceback`` shows
    only the notebook's frames."""

    def __init__(self, exc_type, message, traceback=""):
        super().__init__(f"your code raised {exc_type}: {message}".rstrip(": "))
        self.exc_type, self.message, self.traceback = exc_type, message, traceback


class NotDefined(StudentCodeError):
    """The notebook does not define ``name`` (or it is not callable)."""

    def __init__(self, name):
        super().__init__(f"{name} is not defined; did you run the cell that defines it, and keep its name?")
        self.name = name


class BadReturn(StudentCodeError):
    """The student's code returned something that is not plain data."""

    def __init__(self, why):
        super().__init__(f"your code returned a value the grader cannot accept: {why} "
                         "(return numbers, strings, NumPy arrays, or lists/tuples/dicts of them)")
        self.why = why


class ForbiddenCall(StudentCodeError):
    """The student's code used ``qualname``, which this task forbids."""

    def __init__(self, qualname):
        super().__init__(f"this task does not allow {qualname}; implement it yourself")
        self.qualname = qualname


class CallTimeout(StudentCodeError):
    """A call took longer than its wall-clock budget (the sandbox was killed)."""

    def __init__(self, seconds, budget=""):
        if budget:  # a budget for several calls (a whole check, a whole notebook) ran out
            super().__init__(f"your code used up the {seconds:g} s allowed for {budget} "
                             "(far too slow, or waiting on purpose?)")
        else:
            super().__init__(f"your code did not finish within {seconds:g} s (infinite loop, or far too slow?)")
        self.seconds, self.budget = seconds, budget


class SandboxDied(StudentCodeError):
    """The sandboxed Python process died; ``kind`` is ``memory``, ``crash`` or ``timeout``;
    ``flags`` are the limits observed hit (e.g. ``limit:memory``)."""

    MESSAGES = {
        "memory": "your code used more memory than allowed ({detail})",
        "timeout": "your code used up its CPU time ({detail})",
        "crash": "the Python process running your code ended unexpectedly ({detail})",
    }

    def __init__(self, kind, detail="", flags=()):
        super().__init__(self.MESSAGES[kind].format(detail=detail).replace(" ()", ""))
        self.kind, self.detail, self.flags = kind, detail, list(flags)
