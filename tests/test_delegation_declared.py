"""Every graded task of every notebook declares the library objects that implement it, and
each declared object exists, so the delegation policy covers all tasks (not a chosen few)."""
import importlib

from dl4cv_grader import checks, manifest as manifests
from dl4cv_grader.checks.delegation import declared


def _exists(qualname):
    """Whether ``qualname`` names a module, or an attribute of one."""
    module, _, attr = qualname.rpartition(".")
    try:
        importlib.import_module(qualname)
        return True
    except ModuleNotFoundError:
        return hasattr(importlib.import_module(module), attr)


def test_every_graded_task_declares_its_library_references():
    notebooks = manifests.load("a1")["notebooks"]
    for notebook in notebooks.values():
        for task, entry in notebook["tasks"].items():
            for check in entry["checks"]:
                _, forbidden, references = declared(checks.module_name(check["id"]))
                assert task in references, f"{check['id']}: no REFERENCES entry for {task}"
                assert all(_exists(q) for q in references[task] + forbidden if q.startswith("dl4cv"))
