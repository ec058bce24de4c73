"""``dl4cv-grade collect``: submissions from a folder or an LMS zip into nbgrader's layout.

Accepted shapes (any mix):

- ``<student>/knn.ipynb`` (or deeper: ``<student>/a1/knn.ipynb``), a folder per student;
- Canvas names ``smithjohn_12345_67890_knn.ipynb`` (also ``smithjohn_LATE_...`` and the
  ``knn-1.ipynb`` suffix Canvas adds to resubmissions).

Each becomes ``<course>/submitted/<student>/<assignment>/<notebook>.ipynb`` with
``timestamp.txt`` (the file's time in the zip or on disk, UTC), as nbgrader expects.
Refused: absolute names, ``..``, symlinks, files over the hard size cap. Student ids are
sanitised to letters, digits, ``_``, ``.`` and ``-``. A file whose name is no notebook of
the assignment is identified by its cells (a renamed file). An existing submission with a
newer timestamp is never replaced; replacing an older one is reported.
"""
import json
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from dl4cv.submit import identify, read_cells

from dl4cv_grader import notebook_io

CANVAS = re.compile(r"^(?P<student>[^_/]+?)(?P<late>_LATE)?_\d+_\d+_(?P<file>.+)$")
_RESUBMISSION = re.compile(r"-\d+$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


@dataclass
class CollectReport:
    """What ``collect`` did: one line per file, grouped."""

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
    name: str  # the path inside the upload, for messages
    parts: tuple
    mtime: datetime
    size: int
    read: object  # () -> bytes


def _zip_items(path, report):
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            mode = info.external_attr >> 16
            pure = PurePosixPath(name.replace("\\", "/"))
            if pure.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in pure.parts:
                report.problems.append(f"{name}: refused, the name points outside the upload")
                continue
            if stat.S_ISLNK(mode):
                report.problems.append(f"{name}: refused, symbolic links are not accepted")
                continue
            mtime = datetime(*info.date_time, tzinfo=timezone.utc)
            yield _Item(name, pure.parts, mtime, info.file_size,
                        lambda info=info, zf=zf: zf.read(info))


def _dir_items(root, report):
    root = Path(root)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_symlink():
            report.problems.append(f"{rel}: refused, symbolic links are not accepted")
            continue
        if not path.is_file():
            continue
        st = path.stat()
        yield _Item(str(rel), rel.parts, datetime.fromtimestamp(st.st_mtime, timezone.utc),
                    st.st_size, path.read_bytes)


def _who_and_what(item):
    """(student, file name, late flag) for an upload entry, or None if the name fits no shape."""
    parts = [p for p in item.parts if p not in ("", ".") and not p.startswith("__MACOSX")]
    if len(parts) >= 2:
        return parts[0], parts[-1], False
    match = CANVAS.match(parts[-1])
    if match:
        return match["student"], match["file"], bool(match["late"])
    return None


def read_timestamp(folder):
    """The UTC datetime in ``folder/timestamp.txt``, or None."""
    path = Path(folder) / "timestamp.txt"
    if not path.exists():
        return None
    try:
        return datetime.strptime(path.read_text().strip(), TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def collect(assignment, source, course_dir, manifest, hard_cap=notebook_io.HARD_CAP):
    """Collect ``source`` (folder or .zip) for ``assignment`` into ``course_dir``; returns CollectReport."""
    source, report = Path(source), CollectReport()
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist; give the folder or the .zip you downloaded")
    items = _zip_items(source, report) if zipfile.is_zipfile(source) else _dir_items(source, report)
    newest = {}  # (student, notebook) -> (mtime, bytes, name, late)
    for item in items:
        if not item.name.endswith(".ipynb"):
            report.skipped.append(f"{item.name}: not a notebook")
            continue
        who = _who_and_what(item)
        if who is None:
            report.problems.append(f"{item.name}: cannot tell whose it is; put it in a folder named "
                                   "after the student or keep the LMS file name")
            continue
        student, filename, late = sanitise_student(who[0]), who[1], who[2]
        if not student:
            report.problems.append(f"{item.name}: no usable student id in the name")
            continue
        if item.size > hard_cap:
            report.problems.append(f"{item.name}: refused, {item.size} bytes is over the size limit")
            continue
        data = item.read()
        stem = _RESUBMISSION.sub("", Path(filename).stem)
        notebook = stem if stem in manifest["notebooks"] else _identify(filename, data, manifest)
        if notebook is None:
            report.problems.append(f"{item.name}: not a notebook of {assignment} and its cells match "
                                   "none; check the student uploaded the right file")
            continue
        if notebook != stem:
            report.collected.append(f"{item.name}: renamed file, identified as {notebook}.ipynb by its cells")
        key = (student, notebook)
        if key in newest and newest[key][0] >= item.mtime:
            report.skipped.append(f"{item.name}: an upload of {student}/{notebook} at least as new is in the batch")
            continue
        if key in newest:
            report.skipped.append(f"{newest[key][2]}: replaced by the newer {item.name} in the batch")
        newest[key] = (item.mtime, data, item.name, late)
    for (student, notebook), (mtime, data, name, late) in sorted(newest.items()):
        _store(Path(course_dir), assignment, student, notebook, mtime, data, name, late, report)
    return report


def _identify(filename, data, manifest):
    try:
        cells = read_cells(json.loads(data.decode("utf-8-sig")))
    except (UnicodeDecodeError, ValueError):
        return None
    name, _ = identify(filename, cells, manifest)
    return name


def _store(course_dir, assignment, student, notebook, mtime, data, name, late, report):
    folder = course_dir / "submitted" / student / assignment
    target = folder / f"{notebook}.ipynb"
    existing = read_timestamp(folder) if target.exists() else None
    if target.exists() and target.read_bytes() == data:
        report.skipped.append(f"{name}: identical to the collected {student}/{notebook}")
        return
    if existing is not None and existing > mtime:
        report.skipped.append(f"{name}: kept the newer submission already collected for "
                              f"{student}/{notebook} ({existing:%Y-%m-%d %H:%M} UTC)")
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".ipynb.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    (folder / "timestamp.txt").write_text(mtime.strftime(TIMESTAMP_FORMAT) + "\n")
    flag = " (marked late by the LMS)" if late else ""
    verb = "replaced an older submission with" if existing is not None else "stored"
    report.collected.append(f"{name}: {verb} {student}/{assignment}/{notebook}.ipynb{flag}")
