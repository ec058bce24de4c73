"""What a sandbox will look like: the launcher's configuration for ``full`` or ``minimal``.

Full isolation builds the sandbox's root filesystem from an allow-list (see
:func:`full_binds`): the system directories, the Python installation and virtualenv, the
``dl4cv`` library and any ``exposed_paths`` (e.g. a dataset), all
read-only. Nothing else of the host exists inside: not the autograder, solutions, the
gradebook, other submissions, /root, /home or /tmp. ``hidden_paths`` that lie *inside* an
exposed directory are covered: a directory with an empty tmpfs, a file with ``/dev/null``
(see :func:`module_paths` for hiding library modules a task must not delegate to).
"""
import importlib.util
import os
import sys

from . import slots

WORKER_MODULE = "ipykernel_launcher"
SCRATCH = "/home/student"  # the scratch tmpfs: HOME; the worker's cwd is WORK below it
WORK = SCRATCH + "/work"
HOSTNAME = "localhost"
NPROC_MARGIN = 8
SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/sbin")
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
DEV_LINKS = (("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
             ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr"))
#: Minimal isolation finds a sandbox's processes by this variable (a name Jupyter kernels have).
MARKER = "JPY_PARENT_PID"
#: Passed through from the grader's environment when set.
PASSED_ENV = ("DL4CV_SMOKE",)
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}

FULL_DESCRIPTION = (
    "full: own uid/gid {uid} (no groups, no capabilities, no_new_privs); new pid, mount, "
    "network (no interfaces up), ipc and uts namespaces; private read-only root with only "
    "the system, Python, dl4cv and exposed paths; {scratch_mb} MB scratch tmpfs; {memory}; "
    "pids cgroup {processes}; rlimits cpu {cpu}s, file {file_mb} MB, no core dumps"
)
MINIMAL_MISSING = (
    "no separate user", "network not blocked", "instructor and other files readable",
    "process count not limited", "memory limited per process (address space) only",
    "processes that leave the session are found by an environment marker only",
)


def worker_files():
    """``{name in the worker's cwd: host path}``: the worker runs as ``python -m
    ipykernel_launcher`` from its cwd (as a Jupyter kernel is started) and deletes both files
    once it has loaded them."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return {WORKER_MODULE + ".py": os.path.join(package, "worker.py"),
            "protocol.py": os.path.join(package, "protocol.py")}


def worker_argv(home, token):
    """The worker's command line: a Jupyter kernel's (``/proc/self/cmdline`` shows it)."""
    return [sys.executable, "-m", WORKER_MODULE, "-f", connection_file(home, token)]


def connection_file(home, token):
    """A kernel connection file path, as Jupyter passes one to each kernel (never created)."""
    kernel = f"{token[:8]}-{token[8:12]}-4{token[13:16]}-a{token[17:20]}-{token[20:32]}"
    return os.path.join(home, ".local", "share", "jupyter", "runtime", f"kernel-{kernel}.json")


def launcher_title():
    """What the launcher (the worker's parent) shows as its command line: a Jupyter server's."""
    return [sys.executable, os.path.join(os.path.dirname(sys.executable), "jupyter-lab")]


def default_hidden_paths():
    """Instructor material hidden by default: the autograder and the repo's solutions."""
    autograder = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return [autograder, os.path.join(os.path.dirname(autograder), "solutions")]


def module_paths(qualname):
    """Host paths that make module ``qualname`` importable (or readable as bytecode): a
    package's directory; a plain module's source file and its ``__pycache__`` bytecode.

    Hiding them (``hidden_paths``) takes the module out of a full-isolation sandbox, so graded
    code cannot delegate to it however indirectly it imports or keeps a reference. Empty if
    the module does not exist here.
    """
    try:
        spec = importlib.util.find_spec(qualname)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.origin or not os.path.isfile(spec.origin):
        return []
    if spec.submodule_search_locations:
        return list(spec.submodule_search_locations)
    folder, name = os.path.split(spec.origin)
    stem = os.path.splitext(name)[0]
    cache = os.path.join(folder, "__pycache__")
    compiled = sorted(os.path.join(cache, f) for f in (os.listdir(cache) if os.path.isdir(cache) else ())
                      if f.startswith(stem + "."))
    return [spec.origin] + compiled


def library_dirs():
    """Directories of the packages the sandbox must import from outside the virtualenv."""
    spec = importlib.util.find_spec("dl4cv")
    return list(spec.submodule_search_locations) if spec and spec.submodule_search_locations else []


def full_binds(exposed_paths):
    """``(binds, symlinks)``: read-only ``(source, target)`` binds and ``(target, link)`` links."""
    binds, links = [], []
    for path in SYSTEM_DIRS + ETC_FILES:
        if os.path.islink(path):
            links.append((os.readlink(path), path))
        elif os.path.exists(path):
            binds.append((path, path))
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    for path in sorted(prefixes) + library_dirs() + [os.path.realpath(p) for p in exposed_paths]:
        binds.append((path, path))
    return binds, links


def _inside_any(path, parents):
    return any(os.path.commonpath([path, parent]) == parent for parent in parents)


def base_env(home, extra):
    """The sandbox's whole environment (nothing else is inherited). Nothing in it names the
    grader: it is what a local session could have (see "What graded code can observe")."""
    env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": home, "NUMBA_CACHE_DIR": os.path.join(home, ".cache", "numba"), "MPLBACKEND": "Agg",
           "LANG": "C.UTF-8", **THREAD_ENV}
    env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
    env.update(extra)
    return env


def full_config(limits, slot, cgroup, fd, token, hidden_paths, exposed_paths):
    """Launcher configuration and description for full isolation in ``slot``."""
    binds, links = full_binds(exposed_paths)
    sources = [source for source, _ in binds]
    hide = [os.path.realpath(p) for p in hidden_paths]
    root = os.path.join(slots.RUNTIME_DIR, "newroot")
    os.makedirs(root, mode=0o700, exist_ok=True)
    rlimits = {
        "RLIMIT_CPU": [limits.cpu_seconds, limits.cpu_seconds + 2],
        # The backstop for hosts without cgroups; with them, a little above pids.max, so the
        # cgroup (whose hits the grader sees: ``limit:pids``) is what stops a flood.
        "RLIMIT_NPROC": [limits.tasks + (NPROC_MARGIN if cgroup else 0)] * 2,
        "RLIMIT_FSIZE": [limits.file_mb * 2**20] * 2,
        "RLIMIT_CORE": [0, 0],
    }
    if cgroup is None:
        rlimits["RLIMIT_AS"] = [limits.memory_mb * 2**20] * 2
    if not any(_inside_any(target, ["/tmp"]) for _, target in binds):
        links.append((SCRATCH + "/.tmp", "/tmp"))
    config = {
        "mode": "full", "cgroups": cgroup.procs_files() if cgroup else [], "root": root,
        "binds": binds, "symlinks": links + list(DEV_LINKS),
        "devices": list(DEVICES), "hide": [h for h in hide if _inside_any(h, sources)],
        "scratch": SCRATCH, "scratch_dirs": [".tmp", "work"], "scratch_mb": limits.scratch_mb,
        "uid": slot.uid, "gid": slot.uid, "hostname": HOSTNAME, "rlimits": rlimits, "cwd": WORK,
        "env": base_env(SCRATCH, {}), "argv": worker_argv(SCRATCH, token), "fd": fd,
        "title": launcher_title(), "worker_files": worker_files(),
    }
    memory = (f"memory cgroup {limits.memory_mb} MB" + (" incl. swap" if cgroup and cgroup.memsw else "")
              if cgroup else f"address space {limits.memory_mb} MB per process (no cgroups)")
    description = FULL_DESCRIPTION.format(
        uid=slot.uid, scratch_mb=limits.scratch_mb, memory=memory,
        processes=f"{limits.tasks} tasks, watched {limits.processes} processes" if cgroup else "unavailable",
        cpu=limits.cpu_seconds, file_mb=limits.file_mb)
    return config, description


def marker_value(token):
    """The value of ``MARKER`` for sandbox ``token``: a number above any pid (Linux pids are
    at most 2**22), so it never equals a real Jupyter server's."""
    return str(10**12 + int(token, 16) % 10**12)


def minimal_config(limits, scratch, fd, token):
    """Launcher configuration and description for minimal isolation (any user)."""
    os.makedirs(os.path.join(scratch, "tmp"), exist_ok=True)
    config = {
        "mode": "minimal", "cwd": scratch,
        "rlimits": {
            "RLIMIT_AS": [limits.memory_mb * 2**20] * 2,
            "RLIMIT_CPU": [limits.cpu_seconds, limits.cpu_seconds + 2],
            "RLIMIT_FSIZE": [limits.file_mb * 2**20] * 2,
            "RLIMIT_CORE": [0, 0],
        },
        "env": base_env(scratch, {MARKER: marker_value(token), "TMPDIR": os.path.join(scratch, "tmp")}),
        "argv": worker_argv(scratch, token), "fd": fd, "title": launcher_title(), "worker_files": worker_files(),
    }
    description = (f"minimal: rlimits (address space {limits.memory_mb} MB, cpu {limits.cpu_seconds}s, "
                   f"file {limits.file_mb} MB, no core dumps), scratch cwd, stdin closed, process-group kill; "
                   "MISSING: " + "; ".join(MINIMAL_MISSING))
    return config, description
