"""Capped capture of the sandbox's stdout or stderr.

A thread drains the pipe continuously (so the student's prints never block), keeps the first
``cap`` bytes and counts the rest. The text is shown to students and instructors; it is
never parsed for scores.
"""
import os
import threading


class CappedOutput:
    """Reads one pipe until EOF, keeping at most ``cap`` bytes."""

    def __init__(self, fd, cap):
        self.cap = cap
        self.kept = bytearray()
        self.total = 0
        self._thread = threading.Thread(target=self._drain, args=(fd,), daemon=True)
        self._thread.start()

    def _drain(self, fd):
        try:
            while chunk := os.read(fd, 65536):
                self.total += len(chunk)
                room = self.cap - len(self.kept)
                if room > 0:
                    self.kept += chunk[:room]
        finally:
            os.close(fd)

    @property
    def truncated(self):
        """True if more output was produced than kept."""
        return self.total > self.cap

    def text(self):
        """The kept output as text, with a note if some was dropped."""
        text = self.kept.decode("utf-8", errors="replace")
        if self.truncated:
            text += f"\n[... output truncated: {self.total} bytes produced, first {self.cap} kept ...]\n"
        return text

    def join(self, timeout=2.0):
        """Wait for the pipe to close (the sandbox's processes are gone)."""
        self._thread.join(timeout)
