"""cgroup v1 ``memory`` and ``pids`` groups for one sandbox slot.

Groups are created *below the grader's own cgroup* of each controller (read from
``/proc/self/cgroup``), so whatever limits the host puts on the grader still apply to its
sandboxes. The memory limit is set on both ``memory.limit_in_bytes`` and, when swap
accounting exists, ``memory.memsw.limit_in_bytes`` (memory + swap: no swapping around it).
"""
import os
import signal
import time

CGROUP_ROOT = "/sys/fs/cgroup"
CONTROLLERS = ("memory", "pids")


def own_cgroup(controller, proc_cgroup="/proc/self/cgroup"):
    """This process's cgroup path (e.g. ``/a/b``) in the v1 hierarchy of ``controller``."""
    with open(proc_cgroup) as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            if controller in names.split(","):
                return path
    return None


def available():
    """True if both v1 controllers are mounted and writable by us (root)."""
    return all(
        own_cgroup(c) is not None and os.access(os.path.join(CGROUP_ROOT, c), os.W_OK)
        for c in CONTROLLERS
    )


def _read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def _write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def _counter(text, key):
    """The integer after ``key`` in a ``key value`` per line file (0 if absent)."""
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


class SandboxCgroups:
    """The memory and pids groups of one slot: create, observe, kill, remove."""

    def __init__(self, name, memory_mb, tasks):
        self.dirs = {
            c: os.path.join(CGROUP_ROOT, c, own_cgroup(c).lstrip("/"), name) for c in CONTROLLERS
        }
        self.remove()
        for directory in self.dirs.values():
            os.mkdir(directory)
        memory = self.dirs["memory"]
        _write(os.path.join(memory, "memory.limit_in_bytes"), memory_mb * 2**20)
        memsw = os.path.join(memory, "memory.memsw.limit_in_bytes")
        self.memsw = os.path.exists(memsw)
        if self.memsw:
            _write(memsw, memory_mb * 2**20)
        _write(os.path.join(self.dirs["pids"], "pids.max"), tasks)

    def procs_files(self):
        """The ``cgroup.procs`` files a process writes ``0`` to in order to join."""
        return [os.path.join(d, "cgroup.procs") for d in self.dirs.values()]

    def pids(self):
        """Host pids of all processes currently in the groups."""
        found = set()
        for procs in self.procs_files():
            found.update(int(p) for p in _read(procs).split())
        return found

    def process_count(self):
        """How many processes (not threads: ``cgroup.procs`` lists thread-group ids) the group holds."""
        return len(_read(os.path.join(self.dirs["pids"], "cgroup.procs")).split())

    def counters(self):
        """``{"oom_kills": n, "pids_max_hits": n}`` so far."""
        return {
            "oom_kills": _counter(_read(os.path.join(self.dirs["memory"], "memory.oom_control")), "oom_kill"),
            "pids_max_hits": _counter(_read(os.path.join(self.dirs["pids"], "pids.events")), "max"),
        }

    def kill(self, attempts=200):
        """SIGKILL every process in the groups until they are empty."""
        for _ in range(attempts):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)

    def remove(self):
        """Kill what is left and delete the groups (also cleans up after a crashed grader)."""
        for directory in self.dirs.values():
            if os.path.isdir(directory):
                self.kill()
                for _ in range(200):
                    try:
                        os.rmdir(directory)
                        break
                    except OSError:
                        time.sleep(0.005)
