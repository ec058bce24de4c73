"""Checksums and sanity checks of single files: size, sha256/md5, HTML error pages."""
import hashlib
from pathlib import Path

_CHUNK = 1 << 20
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")


def file_digest(path, algorithm="sha256"):
    """The hex digest of the file at ``path`` (read in chunks; large files are fine)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def looks_like_html(path):
    """True if the file starts like an HTML/XML page (a server's error page saved as data)."""
    with open(path, "rb") as f:
        head = f.read(512).lstrip().lower()
    return head.startswith(_HTML_MARKERS)


def file_problem(path, size=None, sha256=None, md5=None):
    """Why the file at ``path`` is not the expected one, or None if it is.

    size: expected bytes; sha256, md5: expected hex digests (None: not checked; md5 is only
    checked when no sha256 is given).
    """
    path = Path(path)
    if not path.is_file():
        return f"{path} does not exist"
    actual = path.stat().st_size
    if looks_like_html(path):
        return (f"{path.name} is an HTML page ({actual:,} bytes), not data: "
                f"the server sent an error or login page")
    if size is not None and actual != size:
        kind = "truncated" if actual < size else "too large"
        return f"{path.name} is {kind}: {actual:,} bytes, expected {size:,}"
    if sha256 is not None and (got := file_digest(path, "sha256")) != sha256:
        return f"{path.name} has the wrong sha256: {got}, expected {sha256}"
    if sha256 is None and md5 is not None and (got := file_digest(path, "md5")) != md5:
        return f"{path.name} has the wrong md5: {got}, expected {md5}"
    return None
