"""Slots: each running sandbox holds one, so concurrent sandboxes never share a uid or cgroup.

A slot is an exclusive ``flock`` on ``<runtime dir>/slots/<n>.lock``; it works across
threads and processes (``--jobs N``) and is released by the kernel if the grader dies.
Slot ``n`` runs as uid/gid ``BASE_UID + n``.
"""
import fcntl
import os

RUNTIME_DIR = "/run/dl4cv-grader"
BASE_UID = 60000
MAX_SLOTS = 512


class SlotsExhausted(RuntimeError):
    """Every slot is taken."""


class Slot:
    """One held slot; :meth:`release` (or garbage collection) gives it back."""

    def __init__(self, runtime_dir=RUNTIME_DIR):
        directory = os.path.join(runtime_dir, "slots")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        for number in range(MAX_SLOTS):
            fd = os.open(os.path.join(directory, f"{number}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.number, self._fd = number, fd
            return
        raise SlotsExhausted(f"all {MAX_SLOTS} sandbox slots are in use; lower --jobs")

    @property
    def uid(self):
        """The uid (and gid) this slot's sandbox runs as."""
        return BASE_UID + self.number

    def release(self):
        """Give the slot back."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        self.release()
