"""Errors and warnings of the data layer, each naming the command that fixes the problem."""
from dl4cv import shell


def fix_commands(dataset):
    """The commands that install ``dataset``, as indented lines for an error message."""
    rows = ((shell.module("dl4cv.data", "fetch", dataset), "download, verified"),
            (shell.module("dl4cv.data", "import", "--from", "DIR", dataset), "from a folder with the files"),
            (shell.module("dl4cv.data", "synthetic", dataset), "offline: a labelled synthetic stand-in"))
    width = max(len(command) for command, _ in rows)
    return "\n".join(f"  {command:{width}s}  ({why})" for command, why in rows)


class DataError(Exception):
    """Base class of every dl4cv data-layer error."""


class DatasetMissingError(DataError, FileNotFoundError):
    """A dataset (or a file of it) is not installed where the loader looks."""


class DatasetCorruptError(DataError, ValueError):
    """A file exists but is not what it should be (checksum, size, format)."""


def not_installed(dataset, what):
    """The DatasetMissingError a loader raises: ``what`` is missing, and the fixing commands."""
    return DatasetMissingError(f"{what}. Install it with one of:\n{fix_commands(dataset)}")


class DownloadError(DatasetMissingError):
    """Every URL of a file was tried and none gave the verified file."""


class UnknownDatasetError(DataError, ValueError):
    """A dataset name that the registry does not know."""


class DataProvenanceWarning(UserWarning):
    """The loaded data is not the complete real dataset (synthetic or real-partial)."""


class DatasetExistsError(DataError, FileExistsError):
    """An operation would replace real data with something lesser (synthetic)."""
