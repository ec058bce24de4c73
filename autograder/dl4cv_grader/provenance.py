"""Submission times from what the instructor trusts, never from the student.

``dl4cv-grade collect`` writes ``.dl4cv-collected.json`` beside the notebooks it stores in
``<course>/submitted/<student>/<assignment>/``: per notebook, the trusted time, where it came
from (``source``: ``zip member time``, ``tar member time``, ``file time in the export``), the
upload's name, the stored file's sha256, and the student's own claim when the upload held a
``timestamp.txt`` (``claimed``). Each entry is signed (HMAC-SHA256) with the course's secret
key (``batch.course_salt``), which students never see, so a ``.dl4cv-collected.json`` a
student slips into their folder is not trusted.

When grading, the record's ``timestamp`` (used for lateness) is the signed entry's time, used
only if its signature and sha256 match the file graded. A ``timestamp.txt`` (written by the
student, or by nbgrader's exchange on the student's machine) is only ever a
``claimed_timestamp``; a claim more than ``TOLERANCE`` away from the trusted time gets the flag
``timestamp_claim_mismatch``. Without a signed entry the record has no submission time and a
note says so. (collect still writes nbgrader's ``timestamp.txt``, with the trusted time.)
"""
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dl4cv_grader.notebook_io import MB, read_bounded

FILE = ".dl4cv-collected.json"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
TOLERANCE = timedelta(seconds=60)
MISMATCH_FLAG = "timestamp_claim_mismatch"


def read_timestamp(folder):
    """The UTC datetime in ``folder/timestamp.txt`` (nbgrader's format), or None."""
    try:
        text = read_bounded(Path(folder) / "timestamp.txt", 100).decode("utf-8", errors="replace")
        return datetime.strptime(text.strip(), TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    except (OSError, ValueError):
        return None


def parse_claim(data):
    """A timestamp.txt's bytes from an upload as a UTC datetime (nbgrader's format or ISO 8601), or None."""
    text = data[:100].decode("utf-8", errors="replace").strip()
    for parse in (lambda t: datetime.strptime(t, TIMESTAMP_FORMAT), datetime.fromisoformat):
        try:
            when = parse(text)
        except ValueError:
            continue
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return None


def _signature(key, notebook, entry):
    body = json.dumps({"notebook": notebook, **entry}, sort_keys=True).encode()
    return hmac.new(str(key).encode(), body, hashlib.sha256).hexdigest()


def _load(folder):
    try:
        data = json.loads(read_bounded(Path(folder) / FILE, MB))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def stamp(folder, notebook, key, when, source, upload, sha256, claimed=None):
    """Record (signed) that ``notebook`` in ``folder`` was collected with the trusted time ``when``."""
    entry = {"time": when.isoformat(), "source": source, "upload": upload, "sha256": sha256,
             "claimed": claimed.isoformat() if claimed else None}
    data = _load(folder)
    data[notebook] = dict(entry, signature=_signature(key, notebook, entry))
    tmp = Path(folder) / f"{FILE}.tmp"
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(Path(folder) / FILE)


def trusted(folder, notebook, key, sha256=None):
    """The signed entry of ``notebook`` (a dict with ``time`` as a datetime), or None if there
    is none, its signature is wrong, or it was made for other bytes than ``sha256``."""
    entry = _load(folder).get(notebook)
    if not isinstance(entry, dict):
        return None
    body = {k: v for k, v in entry.items() if k != "signature"}
    if not hmac.compare_digest(str(entry.get("signature")), _signature(key, notebook, body)):
        return None
    if sha256 is not None and body.get("sha256") != sha256:
        return None
    try:
        return dict(body, time=datetime.fromisoformat(body["time"]))
    except (KeyError, TypeError, ValueError):
        return None


def for_record(folder, notebook, key, sha256):
    """``(fields, flags, notes)`` for a results record: ``timestamp`` (trusted, or None),
    ``time_source`` and ``claimed_timestamp``; the mismatch flag; a note when no time is trusted."""
    entry = trusted(folder, notebook, key, sha256)
    claim = (datetime.fromisoformat(entry["claimed"]) if entry and entry.get("claimed")
             else read_timestamp(folder))
    if entry is None:
        note = ("no trusted submission time (the file was not collected with `dl4cv-grade collect`"
                + (", and its timestamp.txt is the student's own claim" if claim else "") + "): not used for lateness")
        return ({"timestamp": None, "time_source": None,
                 "claimed_timestamp": claim.isoformat() if claim else None}, [], [note])
    flags = [MISMATCH_FLAG] if claim and abs(claim - entry["time"]) > TOLERANCE else []
    if entry.get("claimed") is None and claim and not flags:
        claim = None  # the timestamp.txt collect wrote: the trusted time itself, not a claim
    return ({"timestamp": entry["time"].isoformat(), "time_source": entry["source"],
             "claimed_timestamp": claim.isoformat() if claim else None}, flags, [])
