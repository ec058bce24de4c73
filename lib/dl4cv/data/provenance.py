"""Where each dataset lives, and the provenance record kept beside its files.

Every installed dataset is a directory ``<data_dir>/<dataset>/`` holding its files and
``provenance.json``::

    {"dataset": "cifar10", "kind": "real" | "real-partial" | "synthetic",
     "source": "<URL, folder or generator>", "created": "<UTC time>",
     "notes": "...", "files": {"<relative path>": {"size": ..., "sha256": ...}}, ...}

Datasets are built in a hidden staging folder beside the target and swapped in only when
complete, so a loader never sees a half-written dataset.
"""
import datetime
import json
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

from dl4cv import shell
from dl4cv import config
from dl4cv.data.checksums import file_digest
from dl4cv.data.errors import DataProvenanceWarning, DatasetCorruptError
from dl4cv.data.registry import KINDS

PROVENANCE_FILE = "provenance.json"


def dataset_dir(name, root=None):
    """The directory of dataset ``name`` under ``root`` (default: ``config.data_dir()``)."""
    return Path(root if root is not None else config.data_dir()) / name


def read(directory):
    """The provenance record of the dataset in ``directory``, or None if it has none."""
    path = Path(directory) / PROVENANCE_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DatasetCorruptError(
            f"{path} is unreadable ({e}); reinstall the dataset, e.g. "
            f"{shell.module('dl4cv.data', 'fetch', Path(directory).name)}"
        ) from None
    if record.get("kind") not in KINDS:
        raise DatasetCorruptError(f"{path} has an unknown kind {record.get('kind')!r}")
    return record


def list_files(directory):
    """{relative path: {"size", "sha256"}} of every file in ``directory`` except the record."""
    directory = Path(directory)
    files = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if rel != PROVENANCE_FILE:
            files[rel] = {"size": path.stat().st_size, "sha256": file_digest(path)}
    return files


def write(directory, dataset, kind, source, notes="", **extra):
    """Record provenance for the dataset in ``directory`` (file sizes and sha256 included)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    from dl4cv import __version__

    record = {
        "dataset": dataset,
        "kind": kind,
        "source": str(source),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "dl4cv_version": __version__,
        "notes": notes,
        **extra,
        "files": list_files(directory),
    }
    (Path(directory) / PROVENANCE_FILE).write_text(json.dumps(record, indent=2) + "\n")
    return record


@contextmanager
def staging(name, root=None):
    """Yield an empty folder to build dataset ``name`` in; on success it becomes the dataset.

    On an exception the folder is removed and any existing dataset is left untouched.
    """
    target = dataset_dir(name, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a shared data folder must not be
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.with_name(f".old-{name}-{os.getpid()}")
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def announce(directory, title, stacklevel=3):
    """Warn when the dataset in ``directory`` is synthetic or partial; return its kind.

    stacklevel: as for ``warnings.warn``; the default points at the loader's caller.

    Returns "real", "real-partial", "synthetic" or "unrecorded" (no provenance record).
    """
    record = read(directory)
    if record is None:
        return "unrecorded"
    kind = record["kind"]
    name = record["dataset"]
    if kind == "synthetic":
        warnings.warn(
            f"{title}: SYNTHETIC stand-in, not the real data (generated locally; results will "
            f"not match published numbers). For the real set: {shell.module('dl4cv.data', 'fetch', name)}",
            DataProvenanceWarning, stacklevel=stacklevel)
    elif kind == "real-partial":
        warnings.warn(
            f"{title}: real but PARTIAL data ({record.get('notes') or 'a subset'}). "
            f"For the full set: {shell.module('dl4cv.data', 'fetch', name)}",
            DataProvenanceWarning, stacklevel=stacklevel)
    return kind
