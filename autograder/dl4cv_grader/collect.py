"""``dl4cv-grade collect``: submissions from a folder or an LMS archive into nbgrader's layout.

Sources: a folder, a ``.zip``, or a ``.tar``, ``.tar.gz``/``.tgz`` (also ``.tar.bz2``,
``.tar.xz``), recognised by their content; anything else is refused with a message.
Accepted shapes inside (any mix):

- ``<student>/knn.ipynb`` (or deeper: ``<student>/a1/knn.ipynb``), a folder per student;
- Canvas names ``smithjohn_12345_67890_knn.ipynb`` (also ``smithjohn_LATE_...`` and the
  ``knn-1.ipynb`` suffix Canvas adds to resubmissions).

Each becomes ``<course>/submitted/<student>/<assignment>/<notebook>.ipynb``, with its trusted
submission time in ``.dl4cv-collected.json`` (signed; see ``provenance``): the archive
member's recorded time, or the file's time in the exported folder (UTC). nbgrader's
``timestamp.txt`` is written with that time too. A ``timestamp.txt`` inside the upload is the
student's and is kept only as their claim.

Refused, with the reason: absolute names, ``..``, links of any kind, devices, FIFOs and other
special members or files (tar members through tarfile's ``data`` filter as well), files over
the hard size cap (reads are bounded too). Hidden files and folders (``.ipynb_checkpoints``)
and ``__MACOSX`` are skipped. Student ids are sanitised to letters, digits, ``_``, ``.`` and
``-``; every name from the upload is printed with control characters escaped. A file is
matched to a notebook by the rename rule of ``inventory`` (``KNN.ipynb``, ``knn (1).ipynb``,
``knn.ipynb.json``), else identified by its cells. An existing submission with a newer
trusted time is never replaced; replacing an older one is reported.
"""
import hashlib
import json
import os
import re
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from dl4cv.submit import identify, read_cells

from dl4cv_grader import notebook_io, provenance
from dl4cv_grader.batch import course_salt
from dl4cv_grader.inventory import notebook_for_name
from dl4cv_grader.notebook_io import printable

CANVAS = re.compile(r"^(?P<student>[^_/]+?)(?P<late>_LATE)?_\d+_\d+_(?P<file>.+)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
CLAIM_CAP = 1000  # bytes of an upload's timestamp.txt that are read


@dataclass
class CollectReport:
    """What ``collect`` did: one line per file, grouped (names already escaped)."""

    collected: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def lines(self):
        return ([f"collected: {x}" for x in self.collected] + [f"skipped:   {x}" for x in self.skipped]
                + [f"problem:   {x}" for x in self.problems])


def sanitise_student(raw):
    """A safe student id from a name in an upload (empty if nothing usable is left)."""
    return _UNSAFE.sub("_", raw.strip()).lstrip(".")[:64]


@dataclass
class _Item:
    name: str  # the path inside the upload, for messages (escaped)
    parts: tuple
    mtime: datetime
    size: int
    read: object  # (cap) -> at most cap + 1 bytes
    source: str  # where mtime comes from, for provenance


def _outside(name):
    """Why an archive member's name is refused, or ''."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in pure.parts:
        return "refused, the name points outside the upload"
    return ""


def _zip_items(path, report):
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name, mode = printable(info.filename), info.external_attr >> 16
            problem = _outside(info.filename) or (
                "refused, symbolic links are not accepted" if stat.S_ISLNK(mode) else "")
            if problem:
                report.problems.append(f"{name}: {problem}")
                continue
            yield _Item(name, PurePosixPath(info.filename.replace("\\", "/")).parts,
                        datetime(*info.date_time, tzinfo=timezone.utc), info.file_size,
                        lambda cap, info=info: zf.open(info).read(cap + 1), "zip member time")


def _tar_items(path, report):
    with tarfile.open(path) as tf:
        for member in tf:
            if member.isdir():
                continue
            name = printable(member.name)
            problem = _outside(member.name)
            if not problem:
                try:
                    tarfile.data_filter(member, "/dl4cv-collect")  # absolute, outside, devices
                except tarfile.FilterError as exc:
                    problem = f"refused, {printable(str(exc))}"
            if not problem and not member.isreg():
                problem = "refused, links, devices and other special members are not accepted"
            if problem:
                report.problems.append(f"{name}: {problem}")
                continue
            yield _Item(name, PurePosixPath(member.name).parts,
                        datetime.fromtimestamp(member.mtime, timezone.utc), member.size,
                        lambda cap, member=member: tf.extractfile(member).read(cap + 1), "tar member time")


def _dir_items(root, report):
    root = Path(root)
    for folder, dirs, files in os.walk(root):  # never descends into a linked folder
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(folder) / name
            rel = path.relative_to(root)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            problem = notebook_io.what_is_there(path, hard_cap=float("inf"))
            if problem:
                report.problems.append(f"{printable(rel)}: refused, {problem[1]}")
                continue
            yield _Item(printable(rel), rel.parts, datetime.fromtimestamp(st.st_mtime, timezone.utc),
                        st.st_size, lambda cap, path=path: notebook_io.read_bounded(path, cap),
                        "file time in the export")


def _items(source, report):
    if source.is_dir():
        return _dir_items(source, report)
    if zipfile.is_zipfile(source):
        return _zip_items(source, report)
    if tarfile.is_tarfile(source):
        return _tar_items(source, report)
    raise ValueError(f"{printable(source)} is neither a folder nor a .zip, .tar or .tar.gz archive; "
                     "give the folder or the archive your LMS exported (unpack other formats first)")


def _who_and_what(item):
    """(student, file name, late flag) for an upload entry, or None if the name fits no shape."""
    parts = [p for p in item.parts if p not in ("", ".")]
    if len(parts) >= 2:
        return parts[0], parts[-1], False
    match = CANVAS.match(parts[-1])
    if match:
        return match["student"], match["file"], bool(match["late"])
    return None


def collect(assignment, source, course_dir, manifest, hard_cap=notebook_io.HARD_CAP):
    """Collect ``source`` (folder or archive) for ``assignment`` into ``course_dir``; returns CollectReport."""
    source, course_dir, report = Path(source), Path(course_dir), CollectReport()
    if not source.exists():
        raise FileNotFoundError(f"{printable(source)} does not exist; give the folder or the archive "
                                "you downloaded")
    newest, claims = {}, {}  # (student, notebook) -> (mtime, bytes, name, late, source); student -> claim
    for item in _items(source, report):
        if any(p.startswith(".") or p.startswith("__MACOSX") for p in item.parts):
            continue
        who = _who_and_what(item)
        is_notebook = ".ipynb" in item.parts[-1].casefold()
        if not is_notebook and (who is None or who[1] != "timestamp.txt"):
            report.skipped.append(f"{item.name}: not a notebook")
            continue
        if who is None:
            report.problems.append(f"{item.name}: cannot tell whose it is; put it in a folder named "
                                   "after the student or keep the LMS file name")
            continue
        student, filename, late = sanitise_student(who[0]), who[1], who[2]
        if not student:
            report.problems.append(f"{item.name}: no usable student id in the name")
            continue
        if not is_notebook:  # the student's own timestamp.txt: a claim, never the submission time
            claims[student] = provenance.parse_claim(item.read(CLAIM_CAP))
            continue
        data = item.read(hard_cap) if item.size <= hard_cap else b""
        if item.size > hard_cap or len(data) > hard_cap:
            report.problems.append(f"{item.name}: refused, over the {hard_cap // notebook_io.MB} MB size limit")
            continue
        notebook = notebook_for_name(filename, manifest["notebooks"]) or _identify(filename, data, manifest)
        if notebook is None:
            report.problems.append(f"{item.name}: not a notebook of {assignment} and its cells match "
                                   "none; check the student uploaded the right file")
            continue
        if filename != f"{notebook}.ipynb":
            report.collected.append(f"{item.name}: renamed file, taken as {notebook}.ipynb")
        key = (student, notebook)
        if key in newest and newest[key][0] >= item.mtime:
            report.skipped.append(f"{item.name}: an upload of {student}/{notebook} at least as new is in the batch")
            continue
        if key in newest:
            report.skipped.append(f"{newest[key][2]}: replaced by the newer {item.name} in the batch")
        newest[key] = (item.mtime, data, item.name, late, item.source)
    salt = course_salt(course_dir) if newest else 0
    for (student, notebook), upload in sorted(newest.items()):
        _store(course_dir, assignment, student, notebook, upload, claims.get(student), salt, report)
    return report


def _identify(filename, data, manifest):
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(nb, dict) or notebook_io.too_deep(nb):
        return None
    name, _ = identify(filename, read_cells(nb), manifest)
    return name


def _store(course_dir, assignment, student, notebook, upload, claim, salt, report):
    mtime, data, name, late, source = upload
    folder = course_dir / "submitted" / student / assignment
    target = folder / f"{notebook}.ipynb"
    entry = provenance.trusted(folder, notebook, salt) if target.exists() else None
    if target.exists() and notebook_io.read_bounded(target, len(data)) == data:
        report.skipped.append(f"{name}: identical to the collected {student}/{notebook}")
        return
    if entry is not None and entry["time"] > mtime:
        report.skipped.append(f"{name}: kept the newer submission already collected for "
                              f"{student}/{notebook} ({entry['time']:%Y-%m-%d %H:%M} UTC)")
        return
    existed = target.exists()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".ipynb.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    (folder / "timestamp.txt").write_text(mtime.strftime(provenance.TIMESTAMP_FORMAT) + "\n")
    provenance.stamp(folder, notebook, salt, mtime, source, name, hashlib.sha256(data).hexdigest(), claim)
    flag = " (marked late by the LMS)" if late else ""
    verb = "replaced an older submission with" if existed else "stored"
    report.collected.append(f"{name}: {verb} {student}/{assignment}/{notebook}.ipynb{flag}")
    if claim and abs(claim - mtime) > provenance.TOLERANCE:
        report.collected.append(
            f"{name}: the upload's timestamp.txt claims {claim:%Y-%m-%d %H:%M:%S} UTC but the "
            f"{source} is {mtime:%Y-%m-%d %H:%M:%S} UTC; the {source} is used "
            f"(flag {provenance.MISMATCH_FLAG})")
