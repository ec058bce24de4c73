"""The per-check results record, and the exceptions a check raises to report a verdict.

Statuses (``CheckResult.status``):

* ``pass``    -- full marks (or a partial fraction of 1);
* ``fail``    -- the student's code ran but the answer is wrong, partially wrong, or not plain data;
* ``error``   -- the student's code raised, or a name the check needs is not defined;
* ``timeout`` -- a call exceeded its wall-clock budget, or the sandbox used up its CPU time;
* ``memory``  -- the sandbox hit its memory limit;
* ``crash``   -- the sandboxed process died (``os._exit``, a signal, ...);
* ``policy``  -- the code used an API the assignment forbids.
"""
from dataclasses import asdict, dataclass, field

STATUSES = ("pass", "fail", "error", "timeout", "memory", "crash", "policy")


@dataclass
class CheckResult:
    """The outcome of one check on one submission.

    ``message`` is shown to the student; it never contains hidden inputs or expected values
    unless the check put them there. ``flags`` are integrity signals for the instructor,
    e.g. ``"tamper:numpy.allclose"``, ``"network"``, ``"background-process"``, ``"limit:pids"``.
    """

    check_id: str
    score: float
    max_score: float
    status: str
    message: str = ""
    seconds: float = 0.0
    flags: list = field(default_factory=list)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")

    def to_dict(self):
        """A JSON-ready dict (the inverse of :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """Rebuild a result from :meth:`to_dict` output."""
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


class CheckFailed(Exception):
    """Raised by a check when the answer is wrong.

    ``message`` is shown to the student; ``partial`` (in [0, 1]) is the fraction of the
    check's points still awarded.
    """

    def __init__(self, message, partial=0.0):
        super().__init__(message)
        if not 0.0 <= partial <= 1.0:
            raise ValueError(f"partial must be in [0, 1], got {partial!r}")
        self.partial = float(partial)


class PolicyViolation(Exception):
    """Raised by a check when the submission breaks an assignment rule (status ``policy``)."""
