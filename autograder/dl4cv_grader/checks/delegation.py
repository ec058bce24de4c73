"""The delegation policy: a graded task may not hand its work to the library's implementation.

Each check module declares once, for every task it grades, which library objects implement
that task (``REFERENCES``), and which other APIs none of its tasks may use (``FORBIDDEN``,
e.g. SciPy or ``numpy.linalg.norm``)::

    FORBIDDEN = ("scipy", "sklearn")
    REFERENCES = {"knn_predict_labels": ("dl4cv.classifiers.k_nearest_neighbor",), ...}

:func:`policy` runs before every registered check (``checks.register`` does it), so no check
can forget it. It refuses, with status ``policy``:

- statically, a task's source that mentions ``FORBIDDEN`` or the library's implementation of
  *any* task of the notebook (imports, dotted names, constant ``getattr``/``import_module``);
- at run time, in the sandbox, any route to ``FORBIDDEN`` or to the task's *own* references
  while the student's code runs (``Student.forbid``: the library's functions and classes are
  poisoned, so a reference kept from a cell, ``sys.modules``, a package's attributes, or a
  name built from strings all trip; a forbidden module the task's cells imported counts too).

At run time only the task's own references are forbidden, so that a model check may run the
student's model with the library's layers plugged in for the other tasks.
"""
import importlib

from dl4cv_grader.results import PolicyViolation
from dl4cv_grader.sandbox.policy import static_uses


def declared(module_name):
    """``(PRELUDE, FORBIDDEN, REFERENCES)`` of the check module ``module_name``."""
    module = importlib.import_module(module_name)
    return (getattr(module, "PRELUDE", ""), tuple(getattr(module, "FORBIDDEN", ())),
            dict(getattr(module, "REFERENCES", {})))


def policy(student, code, task, module_name):
    """Refuse delegation for ``task`` (graded by a check of ``module_name``); see the module
    docstring. Raises PolicyViolation for a static use; arms the run-time tripwires."""
    prelude, forbidden, references = declared(module_name)
    if task not in references:
        raise KeyError(f"{module_name} declares no REFERENCES entry for task {task!r}; add the library "
                       "objects that implement it (an empty tuple if there are none)")
    everything = list(dict.fromkeys(forbidden + tuple(q for refs in references.values() for q in refs)))
    used = static_uses(code.source(task), everything, context=prelude)
    if used:
        raise PolicyViolation(
            f"your code for this task uses {', '.join(sorted(set(used)))}; write the computation "
            "yourself with NumPy")
    student.forbid(*forbidden, *references[task], task=task)
