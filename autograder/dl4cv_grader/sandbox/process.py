"""One running sandbox: start it, send it requests with a deadline, kill it and clean up.

Lifecycle::

    box = Sandbox(limits, isolation="full")   # starts; raises SandboxSetupError if it cannot
    reply = box.request({"op": "call", ...}, timeout=20)   # CallTimeout / SandboxDied
    box.close()                                # kills everything, returns end-of-run flags

Replies are validated here only as far as the transport goes (a decodable dict with the
request's ``id``); what the values mean is for ``student.py`` to judge.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from .. import protocol
from . import cgroups, plan
from .errors import CallTimeout, SandboxDied
from .output import CappedOutput
from .slots import Slot

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.py")
SETUP_FAILED = 121
OWN_PROCESSES = 3  # the launcher, init and the worker (full isolation)
PROCESS_POLL_SECONDS = 0.05
_SIGNAL_KINDS = {signal.SIGXCPU: ("timeout", "CPU time limit"), signal.SIGXFSZ: ("crash", "file size limit")}


class SandboxSetupError(RuntimeError):
    """The sandbox could not be started (a grader/host problem, not the student's)."""


def full_isolation_possible():
    """Whether ``full`` can be used here: root on Linux (cgroups are optional)."""
    return sys.platform.startswith("linux") and os.geteuid() == 0


def resolve_isolation(isolation):
    """``"auto"`` -> ``"full"`` when possible, else ``"minimal"``; validate the others."""
    if isolation == "auto":
        return "full" if full_isolation_possible() else "minimal"
    if isolation == "full" and not full_isolation_possible():
        raise SandboxSetupError("isolation='full' needs root on Linux; use isolation='minimal' or 'auto'")
    if isolation not in ("full", "minimal"):
        raise ValueError(f"isolation must be 'auto', 'full' or 'minimal', not {isolation!r}")
    return isolation


class Sandbox:
    """A started sandboxed worker (see the module docstring).

    ``hidden_paths`` / ``exposed_paths``: see ``plan.py``. ``flags`` collects what the
    trusted side observed (limits hit, protocol abuse); ``description`` says what isolation
    is in force and what is missing.
    """

    def __init__(self, limits, isolation="auto", hidden_paths=(), exposed_paths=()):
        self.limits = limits
        self.mode = resolve_isolation(isolation)
        self.slot = self.cgroup = self.scratch = self.proc = self.sock = None
        self.flags = []
        self.token = secrets.token_hex(16)
        self._counters = {"oom_kills": 0, "pids_max_hits": 0}
        self._too_many_processes = threading.Event()
        self._next_id = 0
        parent_sock, child_sock = socket.socketpair()
        try:
            config = self._configure(child_sock.fileno(), hidden_paths, exposed_paths)
            self.proc = subprocess.Popen(
                [sys.executable, "-I", LAUNCHER, json.dumps(config)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(child_sock.fileno(),), start_new_session=True, env={},
            )
        except BaseException:
            parent_sock.close()
            self._cleanup()
            raise
        finally:
            child_sock.close()
        self.sock = parent_sock
        self.stdout = CappedOutput(os.dup(self.proc.stdout.fileno()), limits.output_kb * 1024)
        self.stderr = CappedOutput(os.dup(self.proc.stderr.fileno()), limits.output_kb * 1024)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self._await_ready()
        if self.cgroup is not None:
            threading.Thread(target=self._watch_processes, args=(self.cgroup,), daemon=True).start()

    def _configure(self, fd, hidden_paths, exposed_paths):
        """Take a slot and cgroups (full) or a scratch dir (minimal); return the launcher config."""
        hidden = list(hidden_paths) + plan.default_hidden_paths()
        if self.mode == "full":
            self.slot = Slot()
            if cgroups.available():
                self.cgroup = cgroups.SandboxCgroups(f"dl4cv-sandbox-{self.slot.number}",
                                                     self.limits.memory_mb, self.limits.tasks)
            config, self.description = plan.full_config(self.limits, self.slot, self.cgroup, fd, self.token,
                                                         hidden, exposed_paths)
            self.readable = [target for _, target in config["binds"]]
        else:
            self.scratch = tempfile.mkdtemp()  # a name like any temporary directory's
            config, self.description = plan.minimal_config(self.limits, self.scratch, fd, self.token)
            self.readable = []
        return config

    def _await_ready(self):
        """Wait for the worker's hello; translate an early death into SandboxSetupError."""
        try:
            hello = self._receive(self.limits.wall_seconds_setup)
        except (EOFError, OSError, protocol.ProtocolError) as exc:
            self.close()
            raise SandboxSetupError(f"the sandbox did not start ({exc}); stderr: {self.stderr.text()[-2000:]}") from None
        if type(hello) is not dict or hello.get("kind") != "ready":
            self.close()
            raise SandboxSetupError(f"unexpected first message from the sandbox: {str(hello)[:200]}")
        # Told over the socket, not the environment: nothing the student's code reads names the grader.
        try:
            self.request({"op": "configure", "readable": self.readable, "lean_threads": self.cgroup is None},
                         self.limits.wall_seconds_setup)
        except (CallTimeout, SandboxDied) as exc:
            self.close()
            raise SandboxSetupError(f"the sandbox did not start ({exc}); stderr: {self.stderr.text()[-2000:]}") from None

    def _watch_processes(self, cgroup):
        """Kill the sandbox when its cgroup holds more than ``limits.processes`` processes.

        The pids cgroup counts threads too, so it is sized for threads (``limits.tasks``);
        this is the separate cap on processes. It polls, so a fork bomb may reach the tasks
        limit first: that one is the hard bound.
        """
        allowed = self.limits.processes + OWN_PROCESSES
        while self.cgroup is cgroup and self.proc.returncode is None:
            if cgroup.process_count() > allowed:
                self._too_many_processes.set()
                cgroup.kill()
                return
            time.sleep(PROCESS_POLL_SECONDS)

    def _receive(self, timeout, deadline=None):
        """One frame, complete within ``timeout`` seconds (or by ``deadline``) in total."""
        deadline = time.monotonic() + timeout if deadline is None else deadline
        self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        return protocol.read_frame(self.sock, deadline=deadline)

    def request(self, message, timeout):
        """Send ``message`` (a dict) and return the worker's reply dict.

        Raises CallTimeout (after killing the sandbox) if no reply within ``timeout`` seconds,
        SandboxDied if the worker died or broke the protocol; NotPlainData if ``message``
        itself cannot be sent.
        """
        if self.proc is None or self.proc.returncode is not None:
            raise SandboxDied("crash", "the sandbox is not running")
        self._next_id += 1
        message = dict(message, id=self._next_id)
        frames = protocol.encode(message)
        deadline = time.monotonic() + timeout  # for the whole exchange, however the reply trickles in
        try:
            self.sock.settimeout(timeout)
            for chunk in frames:
                self.sock.sendall(chunk)
            reply = self._receive(timeout, deadline)
        except (socket.timeout, TimeoutError):
            self.kill()
            hit = self.observe_limits()
            if "limit:memory" in hit:  # killed for memory while the clock ran: memory, not time
                raise SandboxDied("memory", f"{self.limits.memory_mb} MB", hit) from None
            raise CallTimeout(timeout) from None
        except (EOFError, OSError):
            raise self._death() from None
        except protocol.ProtocolError as exc:
            self.flags.append("protocol")
            self.kill()
            raise SandboxDied("crash", f"garbled reply: {exc}") from None
        if type(reply) is not dict or reply.get("id") != self._next_id:
            self.flags.append("protocol")
            self.kill()
            raise SandboxDied("crash", "reply out of sequence")
        return reply

    def _death(self):
        """Kill what is left and classify why the worker went away."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        self.kill()
        hit = self.observe_limits()
        if "limit:memory" in hit:
            return SandboxDied("memory", f"{self.limits.memory_mb} MB", hit)
        if "limit:processes" in hit:
            return SandboxDied("crash", f"more than {self.limits.processes} processes at once", hit)
        signum = code - 128 if code is not None and code > 128 else (-code if code and code < 0 else None)
        if signum in _SIGNAL_KINDS:
            kind, detail = _SIGNAL_KINDS[signum]
            return SandboxDied(kind, detail, hit)
        if signum is not None:
            return SandboxDied("crash", f"killed by {signal.Signals(signum).name}", hit)
        return SandboxDied("crash", f"exit status {code}", hit)

    def observe_limits(self):
        """New ``limit:*`` flags since the last call (memory OOM kills, pids limit hits, the
        process cap)."""
        if self.cgroup is None:
            return []
        now = self.cgroup.counters()
        hit = [flag for key, flag in (("oom_kills", "limit:memory"), ("pids_max_hits", "limit:pids"))
               if now[key] > self._counters[key]]
        self._counters = now
        if self._too_many_processes.is_set():
            self._too_many_processes.clear()
            hit.append("limit:processes")
        self.flags.extend(f for f in hit if f not in self.flags)
        return hit

    def lingering_processes(self):
        """True if processes other than the worker (and its launcher and init) are still alive."""
        if self.cgroup is not None:
            return len(self.cgroup.pids() - {self.proc.pid}) > 2
        return len(marked_processes(self.token)) > 1  # the worker carries the marker, the launcher not

    def kill(self):
        """SIGKILL the whole sandbox (idempotent)."""
        if self.proc is None:
            return
        _kill_quietly(self.proc.pid, group=True)
        if self.cgroup is not None:
            self.cgroup.kill()
        elif self.mode == "minimal":
            for pid in marked_processes(self.token):
                _kill_quietly(pid)
        self.proc.wait()

    def close(self):
        """Flag leftovers, kill everything, remove cgroups/scratch, free the slot; returns flags."""
        if self.proc is not None and self.proc.returncode is None and self.lingering_processes():
            self.flags.append("background-process")
        self.observe_limits()
        self.kill()
        if self.sock is not None:
            self.sock.close()
        for stream in (getattr(self, "stdout", None), getattr(self, "stderr", None)):
            if stream is not None:
                stream.join()
                if stream.truncated and "output-truncated" not in self.flags:
                    self.flags.append("output-truncated")
        self._cleanup()
        return self.flags

    def _cleanup(self):
        """Remove the cgroups and scratch directory and release the slot."""
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        if self.slot is not None:
            self.slot.release()
            self.slot = None


def _kill_quietly(pid, group=False):
    """SIGKILL ``pid`` (or its process group), ignoring processes that are already gone."""
    try:
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def marked_processes(token):
    """Pids of this user's processes whose environment carries the marker of sandbox ``token``."""
    marker = f"{plan.MARKER}={plan.marker_value(token)}".encode()
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return found
