"""Hidden checks, registered by check id (``a1.knn.no_loops``).

A notebook's hidden-test region only *names* its checks (``# dl4cv-check: <check id>``); the
code lives in this package, one module per notebook named after the id's first two parts
(``a1.knn.*`` in ``a1_knn.py``), so it never reaches students. A check is
a function ``fn(student, code)`` where ``student`` is the sandboxed ``Student`` and ``code`` the
:class:`~dl4cv_grader.notebook_io.TaskCode` of the submission (for static policy checks). It
returns None (full marks) or a fraction, or raises ``CheckFailed`` / ``PolicyViolation``.

Checks draw their inputs from :func:`check_rng`. This code is public (self-learners grade
with it), so a fixed seed alone would let a student compute every hidden input and hard-code
the answers; a grading run mixes in its course's secret salt (:func:`salted`), which the
sandbox cannot read.
"""
import contextlib
import functools
import importlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from dl4cv_grader.checks.delegation import policy

_salt = 0  # the salt of the grading run in progress (see salted); 0 outside one


def check_rng(seed):
    """The ``np.random.Generator`` a check draws its inputs from: ``seed`` (fixed per check)
    mixed with the grading run's salt."""
    return np.random.default_rng([_salt, seed])


@contextlib.contextmanager
def salted(salt):
    """Within the block, every :func:`check_rng` mixes in ``salt`` (an int >= 0)."""
    global _salt
    previous, _salt = _salt, int(salt)
    try:
        yield
    finally:
        _salt = previous


def module_name(check_id):
    """The module that registers ``check_id``: ``a1.knn.no_loops`` -> ``dl4cv_grader.checks.a1_knn``."""
    return f"{__name__}.{'_'.join(check_id.split('.')[:2])}"


def _load(check_id):
    """Import the module that registers ``check_id``."""
    try:
        importlib.import_module(module_name(check_id))
    except ModuleNotFoundError as exc:
        if exc.name != module_name(check_id):
            raise


@dataclass(frozen=True)
class CheckSpec:
    """One registered check: its id, points, the solution task (grade_id) it tests, code."""

    check_id: str
    points: float
    task: str
    fn: Callable


_REGISTRY: dict[str, CheckSpec] = {}


def register(check_id, points, task):
    """Decorator: register ``fn(student, code)`` as check ``check_id`` worth ``points``.

    The registered check first applies the delegation policy of ``task``
    (:func:`~dl4cv_grader.checks.delegation.policy`, from the ``FORBIDDEN`` and ``REFERENCES``
    of the check id's module), then runs ``fn``.
    """
    def deco(fn):
        if check_id in _REGISTRY and _REGISTRY[check_id].fn.__wrapped__ is not fn:
            raise ValueError(f"check id {check_id!r} is registered twice")

        @functools.wraps(fn)
        def checked(student, code):
            policy(student, code, task, module_name(check_id))
            return fn(student, code)

        _REGISTRY[check_id] = CheckSpec(check_id, float(points), task, checked)
        return fn
    return deco


def get(check_id):
    """The CheckSpec for ``check_id``; raises KeyError naming the known ids."""
    _load(check_id)
    if check_id not in _REGISTRY:
        raise KeyError(
            f"no check registered as {check_id!r}; known: {', '.join(sorted(_REGISTRY))}. "
            "Add it to a module in dl4cv_grader/checks/ (see docs/autograder.md)"
        )
    return _REGISTRY[check_id]


def sandbox_without(check_id):
    """Library modules the check's module wants absent from the sandbox (``SANDBOX_WITHOUT``):
    the reference implementations of the tasks, which graded code must not delegate to."""
    spec = get(check_id)
    return tuple(getattr(importlib.import_module(spec.fn.__module__), "SANDBOX_WITHOUT", ()))


def prelude(check_id):
    """Extra source the check's module needs run before the student's cells (e.g. imports)."""
    spec = get(check_id)
    return getattr(importlib.import_module(spec.fn.__module__), "PRELUDE", "")
