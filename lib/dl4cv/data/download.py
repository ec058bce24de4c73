"""Download the registry's files (pooch over requests, tqdm progress) and ``fetch`` datasets.

Every URL of a file is tried in order, with a short connect timeout so that an offline machine
fails within seconds. A download lands as ``<name>.part`` in ``<data_dir>/downloads/`` and is
kept only if it passes the checks (not an HTML page, right size, right sha256); otherwise it
is deleted. A file placed by hand in ``<data_dir>/downloads/`` is used instead of downloading
(after the same checks; a failing one is moved to ``<data_dir>/.quarantine/``). Files leave
``downloads/`` once the dataset is installed.
"""
import datetime
import shutil
from pathlib import Path

from dl4cv import shell
from dl4cv import config
from dl4cv.data import install
from dl4cv.data.checksums import file_problem
from dl4cv.data.errors import DownloadError
from dl4cv.data.registry import get
from dl4cv.data.status import dataset_status

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60
_CHUNK = 1 << 16


def downloads_dir(root=None):
    """Where downloads land and where a manually downloaded file can be put."""
    return Path(root if root is not None else config.data_dir()) / "downloads"


def _reason(error):
    """A one-line account of a failed request."""
    import requests

    text = str(error)
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code} {error.response.reason}"
    if isinstance(error, requests.Timeout):
        return f"timed out (connect {CONNECT_TIMEOUT} s, read {READ_TIMEOUT} s)"
    if isinstance(error, requests.ConnectionError):
        if "NameResolution" in text or "Name or service not known" in text:
            return "host name not found (offline, or no DNS)"
        if "refused" in text:
            return "connection refused"
        return "could not connect (offline, or the server is down)"
    return f"{type(error).__name__}: {text[:200]}"


def failure_message(remote, dataset, attempts, root=None):
    """The one message for a file that could not be obtained: what, from where, what to do."""
    tried = "\n".join(f"  {url}\n      -> {why}" for url, why in attempts)
    expected = []
    if remote.size is not None:
        expected.append(f"{remote.size:,} bytes")
    if remote.sha256 is not None:
        expected.append(f"sha256 {remote.sha256}")
    else:
        expected.append("no published checksum: verified by its members after extraction")
    manual = downloads_dir(root)
    return (
        f"Could not download {remote.name} (dataset {dataset}).\nTried:\n{tried}\n"
        f"Expected: {', '.join(expected)}.\n"
        f"To install it by hand, download {remote.name} from one of the URLs above (any machine "
        f"with internet), then either\n"
        f"  put it at {manual / remote.name} and run: {shell.module('dl4cv.data', 'fetch', dataset)}\n"
        f"  or put it in any folder DIR and run:   {shell.module('dl4cv.data', 'import', '--from', 'DIR', dataset)}\n"
        f"Offline and just exploring? {shell.module('dl4cv.data', 'synthetic', dataset)} makes a labelled "
        f"synthetic stand-in.")


def download(remote, dataset, root=None, progress=True):
    """Get ``remote`` (a registry RemoteFile) into ``downloads/``, verified; -> its path.

    Raises DownloadError (one message naming the file, every URL tried and why it failed, the
    expected checksum, and where to put a manual copy) when no URL gives the right file.
    """
    import pooch

    folder = downloads_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / remote.name
    attempts = []
    if target.exists():
        problem = file_problem(target, remote.size, remote.sha256, remote.md5)
        if problem is None:
            return target
        quarantined = _quarantine(target, root)
        attempts.append((str(target), f"{problem}; moved to {quarantined}"))
    part = folder / (remote.name + ".part")
    fetcher = pooch.HTTPDownloader(progressbar=progress, chunk_size=_CHUNK,
                                   timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
    for url in remote.urls:
        try:
            fetcher(url, str(part), None)
        except Exception as error:  # requests' and OS errors alike: report, try the next URL
            part.unlink(missing_ok=True)
            attempts.append((url, _reason(error)))
            continue
        problem = file_problem(part, remote.size, remote.sha256, remote.md5)
        if problem is None:
            return part.replace(target)
        part.unlink()
        attempts.append((url, f"{problem} (deleted)"))
    raise DownloadError(failure_message(remote, dataset, attempts, root))


def _quarantine(path, root=None):
    """Move a bad file out of the way (kept for inspection, never read by a loader)."""
    folder = Path(root if root is not None else config.data_dir()) / ".quarantine"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(shutil.move(path, folder / f"{path.name}.{stamp}"))


def fetch(name, root=None, fallback_synthetic=False, force=False, progress=True):
    """Download, verify and install dataset ``name``; -> its DatasetStatus.

    A real installed set is kept unless ``force``. A partial or synthetic set is upgraded
    when the download works and kept when it does not. When the download fails and nothing
    usable is installed, ``fallback_synthetic`` generates the synthetic stand-in (and says
    so loudly); otherwise DownloadError is raised.
    """
    dataset = get(name)
    before = dataset_status(name, root)
    if before.kind == "real" and not force:
        print(f"{name}: real data already installed at {before.path}")
        return before
    try:
        files = [download(remote, name, root, progress) for remote in dataset.archives]
    except DownloadError as error:
        if before.present:
            print(f"{error}\n\n{name}: keeping the installed {before.kind} set at {before.path}")
            if fallback_synthetic:
                return before
            raise
        if not fallback_synthetic:
            raise
        from dl4cv.data.synthetic import generate

        print(f"{error}\n\n{'!' * 78}\n!! {name}: download failed; generating a SYNTHETIC "
              f"stand-in instead (not the real data)\n{'!' * 78}")
        generate(name, root)
        return dataset_status(name, root)
    source = ", ".join(r.urls[0] for r in dataset.archives)
    if dataset.archive_format:
        try:
            install.install_archive(dataset, files[0], source, root)
        finally:  # installed, or failed its members' checks: either way it must not be reused
            files[0].unlink()
    else:
        install.install_members(dataset, {f.name: f for f in files}, source, root, move=True)
    after = dataset_status(name, root)
    print(f"{name}: installed real data at {after.path}")
    return after
