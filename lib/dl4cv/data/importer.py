"""``import --from DIR``: install datasets from a local folder (lab mirror, air-gapped cluster).

The folder (searched a few levels deep) may hold, per dataset, the original download (the
CIFAR tarball, the coco zip, the MNIST .gz files, the ImageNet npz), the extracted member files
(``cifar-10-batches-py/...``, the coco files), or, for CIFAR-10 only, the shared data folder's
``cifar10_partial/cifar10_partial_exact.npz`` with ``batches.meta`` (installed as
``real-partial``). Everything is verified before it is installed; the folder is only read.
"""
import os
from dataclasses import dataclass
from pathlib import Path

from dl4cv import shell
from dl4cv.data import cifar10_partial, install
from dl4cv.data.checksums import file_problem
from dl4cv.data.errors import DataError, DatasetMissingError
from dl4cv.data.registry import REGISTRY, get
from dl4cv.data.status import dataset_status

MAX_DEPTH = 3


@dataclass(frozen=True)
class ImportResult:
    """What happened to one dataset.

    outcome: "imported", "kept" (real data already there), "incomplete" (some files found,
    not enough to install), "not found" or "failed" (files found but they failed the checks).
    """

    name: str
    outcome: str
    message: str


def index_folder(folder, max_depth=MAX_DEPTH):
    """{file name: [paths]} of the files under ``folder`` (hidden entries skipped)."""
    folder = Path(folder)
    found = {}
    for current, dirs, files in os.walk(folder):
        depth = len(Path(current).relative_to(folder).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < max_depth)
        for name in sorted(files):
            found.setdefault(name, []).append(Path(current) / name)
    return found


def _first_good(member, candidates):
    """The first candidate path that verifies as ``member`` -> (path or None, problems)."""
    problems = []
    for path in candidates:
        problem = install.member_problem(member, path)
        if problem is None:
            return path, problems
        problems.append(f"{path}: {problem}")
    return None, problems


def _import_one(dataset, found, folder, root):
    """Try the forms in order: archive, member files, (cifar10) the partial npz.

    Returns (outcome, message) with outcome "imported", "incomplete", "failed" or "not found".
    """
    problems = []
    archive = dataset.archives[0]
    if dataset.archive_format and archive.name in found:
        path = found[archive.name][0]
        bad = None if archive.verified_by_members else file_problem(
            path, archive.size, archive.sha256, archive.md5)
        if bad is None:
            try:
                install.install_archive(dataset, path, path, root)
                return "imported", f"real, from {path}"
            except DataError as error:
                problems.append(str(error))
        else:
            problems.append(f"{path}: {bad}")
    chosen = {}
    for member in dataset.members:
        path, member_problems = _first_good(member, found.get(member.name, []))
        problems += member_problems
        if path is not None:
            chosen[member.name] = path
    lacking = [m.name for m in dataset.required_members if m.name not in chosen]
    if chosen and not lacking:
        install.install_members(dataset, chosen, folder, root)
        return "imported", f"real, from the files in {folder}"
    partial = found.get(cifar10_partial.NPZ, [])
    if dataset.name == "cifar10" and partial:
        meta = partial[0].parent / "batches.meta"
        if not meta.is_file():
            meta = found.get("batches.meta", [meta])[0]
        cifar10_partial.install_partial(partial[0], meta, root)
        return "imported", f"real-partial, from {partial[0]}"
    if problems:
        return "failed", "\n".join(problems)
    if chosen:
        return "incomplete", (f"found {', '.join(sorted(chosen))} but not {', '.join(lacking)}; "
                              f"not installed")
    return "not found", f"no {dataset.name} files in {folder}"


def import_from(folder, names=None, root=None, force=False):
    """Install datasets ``names`` (default: every registered one) from ``folder``.

    A real installed set is kept unless ``force``. Returns a list of ImportResult.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DatasetMissingError(
            f"{folder} is not a folder. Give the folder that holds the downloaded files: "
            f"{shell.module('dl4cv.data', 'import', '--from', 'DIR')}")
    for name in names or ():
        get(name)
    found = index_folder(folder)
    results = []
    for name in names or list(REGISTRY):
        before = dataset_status(name, root)
        if before.kind == "real" and not force:
            results.append(ImportResult(name, "kept", f"real data already installed at {before.path}"))
            continue
        try:
            outcome, message = _import_one(REGISTRY[name], found, folder, root)
        except DataError as error:
            outcome, message = "failed", str(error)
        results.append(ImportResult(name, outcome, message))
    return results
