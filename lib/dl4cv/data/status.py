"""What is installed: per dataset, present or not, its provenance and where it lives."""
from dataclasses import dataclass

from dl4cv import shell
from dl4cv.data import provenance
from dl4cv.data.errors import DataError
from dl4cv.data.registry import REGISTRY


@dataclass(frozen=True)
class DatasetStatus:
    """The state of one dataset.

    kind: "real", "real-partial", "synthetic", "missing", "incomplete" (required files
    absent) or "unrecorded" (files present without a provenance record, e.g. copied by hand);
    present: the loaders can read it.
    """

    name: str
    kind: str
    present: bool
    path: str
    source: str = ""
    missing_files: tuple = ()

    @property
    def fix(self):
        """The command that installs or upgrades this dataset ("" when nothing is needed)."""
        if self.kind == "real":
            return ""
        if self.kind == "unrecorded":
            return shell.module("dl4cv.data", "verify", self.name)
        return shell.module("dl4cv.data", "fetch", self.name)


def dataset_status(name, root=None):
    """The ``DatasetStatus`` of one registered dataset."""
    directory = provenance.dataset_dir(name, root)
    if not directory.is_dir():
        return DatasetStatus(name, "missing", False, str(directory))
    missing = tuple(m.path for m in REGISTRY[name].required_members
                    if not (directory / m.path).is_file())
    try:
        record = provenance.read(directory)
    except DataError:
        record = None
    if missing:
        return DatasetStatus(name, "incomplete", False, str(directory), missing_files=missing)
    if record is None:
        return DatasetStatus(name, "unrecorded", True, str(directory))
    return DatasetStatus(name, record["kind"], True, str(directory), source=record["source"])


def status(root=None):
    """{dataset name: DatasetStatus} for every registered dataset under ``root``."""
    return {name: dataset_status(name, root) for name in REGISTRY}
