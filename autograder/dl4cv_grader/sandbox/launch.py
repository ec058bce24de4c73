"""Sets up one sandbox and execs the worker in it: ``python -I launch.py CONFIG_JSON``.

Standalone (standard library only, runs by path before any privilege is dropped). The
trusted side builds CONFIG_JSON (see ``sandbox/plan.py``); its keys:

``mode``
    ``"full"``: join the cgroups, enter new mount/pid/net/ipc/uts namespaces, fork a child
    that becomes pid 1 there, build a private root of read-only binds, pivot into it, mount
    /proc and a scratch tmpfs, drop to an unprivileged uid/gid with no groups, no
    capabilities and ``no_new_privs``, set rlimits, fork again and exec the worker. pid 1
    (unprivileged) only reaps orphans and exits with the worker's status: the worker must
    not be pid 1 itself, since pid 1 ignores signals it has no handler for (SIGXCPU!).
    The first parent stays outside and exits with pid 1's status (``128 + signal`` if it
    was killed), so killing it (SIGKILL) kills pid 1 (``PDEATHSIG``) and with it every
    process in the namespace.

    ``"minimal"``: set rlimits, fork (the parent waits and exits like the child, so that the
    worker's parent is this retitled launcher, not the grader), chdir to the scratch directory
    and exec (the trusted side started us in a new session so it can kill the process group).

In both modes the launcher first overwrites its own command line with ``title`` (what
``/proc/<ppid>/cmdline`` shows the worker: the grader's config must not be readable there),
moves the protocol socket ``fd`` to ``WORKER_FD`` (the worker finds it there, not in argv),
and copies ``worker_files`` (``{name: host path}``, read before any namespace is entered)
into the worker's cwd as the sandbox user; the worker deletes them once loaded.

``cgroups``, ``root``, ``binds``, ``symlinks``, ``devices``, ``hide``, ``scratch``,
``scratch_dirs``, ``scratch_mb``, ``uid``, ``gid``, ``hostname``, ``rlimits``, ``env``,
``argv``, ``cwd``, ``fd``, ``title``, ``worker_files``.

Setup failures exit with status 121 and a message on stderr.
"""
import ctypes
import json
import os
import resource
import signal
import sys

SETUP_FAILED = 121
WORKER_FD = 3  # where the worker finds its end of the protocol socket

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
PR_SET_MM, PR_SET_MM_ARG_END = 35, 9
SYS_PIVOT_ROOT = 155  # x86_64

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    """Raise OSError with errno if a libc call failed."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None):
    """mount(2)."""
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {source} on {target}")


def bind_read_only(source, target):
    """Bind ``source`` at ``target`` (created like the source), then make it read-only."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()  # noqa: SIM115
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def build_root(cfg):
    """Assemble the private root filesystem at ``cfg["root"]`` (still as root)."""
    root = cfg["root"]
    inside = lambda path: os.path.join(root, path.lstrip("/"))  # noqa: E731
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755")
    for source, target in cfg["binds"]:
        bind_read_only(source, inside(target))
    for hidden in cfg["hide"]:
        if os.path.isdir(inside(hidden)):
            mount("tmpfs", inside(hidden), "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=755")
        elif os.path.isfile(inside(hidden)):  # a file: /dev/null over it (not a regular file: no import)
            mount("/dev/null", inside(hidden), None, MS_BIND)
            mount(None, inside(hidden), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)
    for device in cfg["devices"]:
        os.makedirs(os.path.dirname(inside(device)), exist_ok=True)
        open(inside(device), "a").close()  # noqa: SIM115
        mount(device, inside(device), None, MS_BIND)
    for target, link in cfg["symlinks"]:
        os.makedirs(os.path.dirname(inside(link)), exist_ok=True)
        os.symlink(target, inside(link))
    os.makedirs(inside("/proc"))
    scratch = inside(cfg["scratch"])
    os.makedirs(scratch)
    mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={cfg['scratch_mb']}m,mode=700,uid={cfg['uid']},gid={cfg['gid']}")
    for name in cfg["scratch_dirs"]:
        os.mkdir(os.path.join(scratch, name), 0o700)
        os.chown(os.path.join(scratch, name), cfg["uid"], cfg["gid"])
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def enter_root(root):
    """pivot_root into ``root``, detach the old root, mount a /proc for the new pid namespace."""
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def drop_privileges(uid, gid):
    """Become ``uid``/``gid`` with no supplementary groups; capabilities go with uid 0."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def set_rlimits(limits):
    """Apply ``{"RLIMIT_CPU": [soft, hard], ...}``."""
    for name, (soft, hard) in limits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))


def retitle(words):
    """Replace this process's command line (``/proc/self/cmdline``, inherited by forks) with
    ``words``, in place: CPython keeps its own copy of argv, so the original memory is free.
    The area is shrunk to fit where we may (CAP_SYS_RESOURCE), else padded with NULs (which
    read as empty arguments)."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    start, end = int(fields[45]), int(fields[46])  # fields 48 and 49: arg_start, arg_end
    title = b"\0".join(os.fsencode(w) for w in words)[: end - start - 1] + b"\0"
    ctypes.memmove(start, title.ljust(end - start, b"\0"), end - start)
    _libc.prctl(PR_SET_MM, PR_SET_MM_ARG_END, ctypes.c_ulong(start + len(title)), 0, 0)  # best effort


def move_socket(fd):
    """Put the protocol socket on ``WORKER_FD`` (inheritable) and close ``fd``."""
    if fd != WORKER_FD:
        os.dup2(fd, WORKER_FD)
        os.close(fd)
    os.set_inheritable(WORKER_FD, True)


def place_worker_files(files):
    """Write ``{name: bytes}`` into the cwd, readable only by the sandbox user."""
    for name, data in files.items():
        with open(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(data)


def _exit_like(status):
    """Exit with the wait ``status`` of a child (``128 + signal`` if it was killed)."""
    os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


def fork_and_wait(fd):
    """Fork; the parent closes ``fd``, waits for the child and exits like it; the child returns."""
    child = os.fork()
    if child:
        os.close(fd)
        while True:
            pid, status = os.wait()  # also reaps orphans when we are pid 1
            if pid == child:
                _exit_like(status)


def full(cfg):
    """Namespaces, private root, unprivileged user (see the module docstring)."""
    for procs in cfg["cgroups"]:
        with open(procs, "w") as f:
            f.write("0")
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    fork_and_wait(WORKER_FD)
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
    _check(_libc.sethostname(cfg["hostname"].encode(), len(cfg["hostname"])), "sethostname")
    build_root(cfg)
    enter_root(cfg["root"])
    set_rlimits(cfg["rlimits"])
    drop_privileges(cfg["uid"], cfg["gid"])
    fork_and_wait(WORKER_FD)


def main(argv):
    """Entry point; see the module docstring."""
    cfg = json.loads(argv[1])
    os.umask(0o022)
    try:
        retitle(cfg["title"])
        move_socket(cfg["fd"])
        files = {}
        for name, path in cfg["worker_files"].items():
            with open(path, "rb") as f:
                files[name] = f.read()
        if cfg["mode"] == "full":
            full(cfg)
        else:
            set_rlimits(cfg["rlimits"])
            fork_and_wait(WORKER_FD)
        os.chdir(cfg["cwd"])
        place_worker_files(files)
        os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])
    except OSError as exc:
        print(f"dl4cv sandbox setup failed: {exc}", file=sys.stderr, flush=True)
        os._exit(SETUP_FAILED)


if __name__ == "__main__":
    main(sys.argv)
