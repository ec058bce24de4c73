"""Install a dataset from verified original files: an archive, or the member files themselves.

Shared by ``fetch`` (downloaded files) and ``import --from DIR`` (a local folder). Members
are written to a staging folder, verified against the registry (size, sha256 or md5), and
only then swapped in with a ``real`` provenance record; nothing half-verified is ever left
where a loader looks.
"""
import shutil
import tarfile
import zipfile
from pathlib import Path

from dl4cv.data import provenance
from dl4cv.data.checksums import file_digest, file_problem
from dl4cv.data.errors import DatasetCorruptError, fix_commands


def member_problem(member, path):
    """Why ``path`` is not the registry ``member`` (None when it is)."""
    return file_problem(path, member.size, member.sha256, member.md5)


def _finish(dataset, folder, source, **extra):
    """Check every member in ``folder`` and write the ``real`` provenance record."""
    problems = []
    for member in dataset.members:
        path = folder / member.path
        if not path.is_file():
            if member.required:
                problems.append(f"{member.path} is missing")
            continue
        if (problem := member_problem(member, path)) is not None:
            problems.append(problem)
    if problems:
        raise DatasetCorruptError(
            f"{dataset.name} from {source} failed verification, nothing was installed:\n  "
            + "\n  ".join(problems)
            + f"\nGet a fresh copy of the original files, or use:\n{fix_commands(dataset.name)}")
    provenance.write(folder, dataset.name, "real", source, notes=dataset.notes, **extra)


def _extract(archive, archive_format, wanted, folder):
    """Copy the archive entries whose file name is a key of ``wanted`` to their member paths.

    Entries are streamed by name (no paths from the archive are trusted); returns the names
    found.
    """
    found = set()

    def copy(stream, name):
        target = folder / wanted[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        with stream, open(target, "wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        found.add(name)

    try:
        if archive_format == "tar.gz":
            with tarfile.open(archive, "r:gz") as tar:
                for entry in tar:
                    name = entry.name.rsplit("/", 1)[-1]
                    if entry.isfile() and name in wanted and name not in found:
                        copy(tar.extractfile(entry), name)
        else:
            with zipfile.ZipFile(archive) as zf:
                for entry in zf.infolist():
                    name = entry.filename.rsplit("/", 1)[-1]
                    if not entry.is_dir() and name in wanted and name not in found:
                        copy(zf.open(entry), name)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        raise DatasetCorruptError(f"{archive} is not a readable {archive_format} archive ({e})") \
            from None
    return found


def install_archive(dataset, archive, source, root=None):
    """Extract and verify ``dataset`` from its downloaded ``archive``; -> dataset directory.

    An archive without a published checksum (``coco_captioning.zip``) is verified by its
    members: each extracted member must match the registry.
    """
    archive = Path(archive)
    remote = dataset.archives[0]
    extra = {"archive": {"name": archive.name, "size": archive.stat().st_size,
                         "sha256": file_digest(archive),
                         "verified_by": "members" if remote.verified_by_members else "sha256"}}
    with provenance.staging(dataset.name, root) as tmp:
        _extract(archive, dataset.archive_format, {m.name: m.path for m in dataset.members}, tmp)
        _finish(dataset, tmp, source, **extra)
    return provenance.dataset_dir(dataset.name, root)


def install_members(dataset, paths, source, root=None, move=False):
    """Install ``dataset`` from its member files; -> dataset directory.

    paths: {member file name: path}; optional members may be absent. With ``move`` the files
    are moved instead of copied (downloads we own).
    """
    with provenance.staging(dataset.name, root) as tmp:
        for member in dataset.members:
            if member.name in paths:
                target = tmp / member.path
                target.parent.mkdir(parents=True, exist_ok=True)
                (shutil.move if move else shutil.copyfile)(paths[member.name], target)
        _finish(dataset, tmp, source)
    return provenance.dataset_dir(dataset.name, root)
