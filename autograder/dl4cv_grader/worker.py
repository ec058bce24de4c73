"""The program that runs INSIDE the sandbox: executes the notebook's cells, then answers calls.

Run as a Jupyter kernel is, ``python -m ipykernel_launcher -f CONNECTION_FILE``, from its cwd,
where the launcher copied this file (as ``ipykernel_launcher.py``) and ``protocol.py``; it
loads both, deletes them, and finds its end of the protocol socket on fd ``WORKER_FD``
(nothing else of ``dl4cv_grader`` is importable in the sandbox). It hides itself from the
student's code as far as it can (see "What graded code can observe" in docs/sandbox.md):
``sys.argv`` is a kernel's, ``__main__`` is the notebook's namespace, ``protocol`` is not in
``sys.modules``.

Everything here is *untrusted*: student code runs in this process and may patch anything,
including this module. The trusted side therefore believes nothing but the plain data it
decodes. The integrity flags and forbidden-API tripwires below are advisory and best-effort.

Requests (plain-data dicts, each with an ``id`` echoed in the reply):

* ``{"op": "cell", "task_id", "source"}`` -- execute one cell as plain Python (not IPython;
  the grader sends magics already rewritten as ``get_ipython()`` calls, which do nothing);
* ``{"op": "call", "name", "handle", "args", "kwargs", "forbid"}`` -- call a top-level
  function (``handle`` None) or a method of an object created by ``new``; optional fields:
  ``check_unchanged`` (reply ``changed_input`` if the call changed an array argument in
  place), ``plugins`` (name -> library qualname, standing in for the cells' names during the
  call) and ``task`` (a forbidden module imported while that task's cells ran trips too);
* ``{"op": "new", "name", "args", "kwargs", "forbid"}`` -- instantiate a student class;
* ``{"op": "get", "handle", "name"}`` -- read an attribute of such an object;
* ``{"op": "has", "name"}`` -- whether the cells defined a top-level name;
* ``{"op": "configure", "readable", "lean_threads"}`` -- the paths the student may read, and
  whether threads must take little address space (see :func:`lean_threads`) (first request);
* ``{"op": "seed", "seed"}`` -- reset every global random state (before the cells and before
  each check).

Replies have a ``kind``: ``ready``, ``cell`` (``error``: student-visible traceback or None),
``ok`` (``value``), ``handle`` (``handle``), ``raised`` (``type``, ``message``, ``traceback``),
``not_defined`` (``name``), ``bad_return`` (``why``), ``forbidden`` (``qualname``),
``changed_input`` (``argument``: its name, e.g. ``x`` or ``cache[0]``) or
``invalid`` (``why``: a request the worker could not understand). Every reply carries
``flags``: integrity observations made since the previous reply.
"""
import builtins
import ctypes
import importlib
import importlib.util
import inspect
import linecache
import math
import os
import random
import site
import socket
import sys
import threading
import traceback
import types

sys.dont_write_bytecode = True  # the student's imports leave no bytecode behind


def load_protocol():
    """``protocol.py`` beside this file, loaded without a ``sys.modules`` entry."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "protocol.py")
    spec = importlib.util.spec_from_file_location("protocol", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


protocol = load_protocol()

import numpy as np  # noqa: E402
import numpy.random.bit_generator  # noqa: E402

WORKER_FD = 3  # see sandbox/launch.py
KERNEL_LAUNCHER = "ipykernel_launcher.py"  # what sys.argv[0] shows, as in a Jupyter kernel
LEAN_THREAD_STACK = 2**20
M_ARENA_MAX, LEAN_ARENAS = -8, 2  # glibc's mallopt

CELL_PREFIX = "<cell "
MAX_FLAGS = 50
MAX_TEXT = 4000
#: Modules whose public attributes are snapshotted to detect monkeypatching.
WATCHED_MODULES = (builtins, math, np, np.linalg, np.random)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_NETWORK_EVENTS = ("socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo")
_PROCESS_EVENTS = ("os.fork", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen")


class Forbidden(BaseException):
    """Raised by a tripwire; a BaseException so that ``except Exception`` does not hide it."""


class Observer:
    """Advisory integrity observations: audit events, monkeypatching, IPython use."""

    def __init__(self, readable):
        self.flags = []
        self.seen = set()
        self.readable = tuple(os.path.join(os.path.realpath(p), "") for p in readable if p)
        self.scratch = os.path.join(os.path.realpath(os.path.expanduser("~")), "")  # HOME holds cwd and /tmp
        self.snapshot = {
            (module.__name__, name): value
            for module in WATCHED_MODULES for name, value in vars(module).items()
            if not name.startswith("_")
        }
        self.forbidden_modules = ()
        self.tripped = None
        self.stray = set()  # idents of threads left running by the cells (see Worker.stray_threads)
        self.cell_task = None  # the task whose cell is running, if any
        self.cell_imports = {}  # task id -> modules its cells imported (or tried to)

    def flag(self, text):
        """Record one flag once (capped)."""
        if text not in self.seen and len(self.seen) < MAX_FLAGS:
            self.seen.add(text)
            self.flags.append(text)

    def take(self):
        """The flags recorded since the last call."""
        self.check_tampering()
        taken, self.flags = self.flags, []
        return taken

    def check_tampering(self):
        """Flag watched module attributes that no longer are what they were at start-up."""
        for (module_name, name), value in self.snapshot.items():
            if getattr(sys.modules.get(module_name), name, None) is not value:
                self.flag(f"tamper:{module_name}.{name}")

    def audit(self, event, args):
        """The audit hook (installed for the life of the process; cannot be removed)."""
        if event == "open":
            self.on_open(args)
        elif event == "import":
            self.importing(str(args[0]))
        elif event in _NETWORK_EVENTS:
            self.flag("network")
        elif event in _PROCESS_EVENTS:
            self.flag("subprocess")

    def on_open(self, args):
        """Flag opens for writing outside scratch, and reads outside the readable places."""
        path, mode, flags = args
        if not isinstance(path, (str, bytes)):
            return
        path = os.path.realpath(os.path.join(os.getcwd(), os.fsdecode(path)))
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & _WRITE_FLAGS
        if os.path.join(path, "").startswith(self.scratch):
            return
        if writing:
            self.flag(f"write:{path}")
        elif not os.path.join(path, "").startswith(self.readable):
            self.flag(f"read:{path}")

    def importing(self, name):
        """An import of ``name`` is starting (seen by the audit hook, or by :meth:`find_spec`
        for ``importlib.import_module``, which raises no audit event)."""
        if self.cell_task is not None:
            self.cell_imports.setdefault(self.cell_task, set()).add(name)
        if self.forbidden_modules:
            self.on_import(name)

    def find_spec(self, name, path=None, target=None):
        """A ``sys.meta_path`` finder that finds nothing and reports every import it sees."""
        self.importing(name)
        return None

    def on_import(self, name):
        """Refuse imports of forbidden modules while a call is running (not in stray threads)."""
        if threading.get_ident() in self.stray:
            return
        for forbidden in self.forbidden_modules:
            if name == forbidden or name.startswith(forbidden + "."):
                self.tripped = self.tripped or forbidden
                raise Forbidden(forbidden)


class IPythonStub:
    """What ``get_ipython()`` returns. The grader sends cells as plain Python
    (``magics.python_source``), where magics and shell escapes are calls of the methods in
    ``MAGIC_METHODS``: those do nothing and return None. Anything else (input transformers,
    hooks, events) is flagged ``ipython`` and is a no-op too."""

    MAGIC_METHODS = ("run_line_magic", "run_cell_magic", "system", "getoutput")

    def __init__(self, observer):
        object.__setattr__(self, "_observer", observer)

    def __getattr__(self, name):
        if name not in self.MAGIC_METHODS:
            self._observer.flag("ipython")
        return self

    def __setattr__(self, name, value):
        self._observer.flag("ipython")

    def __call__(self, *args, **kwargs):
        return None


def compile_cell(source, filename):
    """Compile a cell (plain Python: the grader has already turned IPython syntax into code)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return compile(source, filename, "exec")


def safe_text(obj, limit=MAX_TEXT):
    """``str(obj)``, never raising, capped at ``limit`` characters."""
    try:
        text = str(obj)
    except BaseException:  # noqa: BLE001 -- student __str__ may do anything
        text = f"<unprintable {type(obj).__name__}>"
    return text if type(text) is str and len(text) <= limit else str(text)[:limit] + " ..."


def student_traceback(exc):
    """A traceback showing only frames from the notebook's cells, and the exception line."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(CELL_PREFIX)]
    lines = traceback.format_list(frames)
    try:
        lines += traceback.format_exception_only(type(exc), exc)
    except BaseException:  # noqa: BLE001
        lines.append(f"{type(exc).__name__}: {safe_text(exc)}\n")
    text = ("Traceback (most recent call last):\n" if frames else "") + "".join(lines)
    return text if len(text) <= MAX_TEXT else "...\n" + text[-MAX_TEXT:]


def raised(exc):
    """The reply for an exception raised by student code."""
    return {"kind": "raised", "type": type(exc).__name__, "message": safe_text(exc),
            "traceback": student_traceback(exc)}


class Tripwires:
    """Replaces forbidden callables with tripwires for the duration of one call.

    The library's own functions and classes (``dl4cv.*``) are also *poisoned*: their code (a
    class's: every method's) is swapped for a tripwire, so that any reference reaches it, one
    kept from a cell, fetched from ``sys.modules``, a package's attributes or ``importlib``.
    """

    def __init__(self, observer, namespace):
        self.observer = observer
        self.namespace = namespace
        self.patches = []
        self.poisoned = []
        builtins.__dl4cv_tripwire__ = self.trip

    def arm(self, qualnames):
        """Install tripwires for ``qualnames`` (modules, functions or classes)."""
        self.observer.forbidden_modules = tuple(qualnames)
        for qualname in qualnames:
            for owner, name in self.targets(qualname):
                original = getattr(owner, name)
                self.poison(original, qualname)
                self.replace(owner, name, original, self.tripwire(qualname, original))
                for key, value in list(self.namespace.items()):
                    if value is original:
                        self.replace(self.namespace, key, original, self.tripwire(qualname, original))

    def targets(self, qualname):
        """``(owner, attribute)`` pairs to replace for one qualified name."""
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module = sys.modules.get(".".join(parts[:cut]))
            if module is not None:
                break
        else:
            return []
        owner = module
        for part in parts[cut:-1]:
            owner = getattr(owner, part, None)
        if cut < len(parts):
            return [(owner, parts[-1])] if hasattr(owner, parts[-1]) else []
        return [
            (mod, name)
            for mod_name, mod in list(sys.modules.items())
            if mod_name == qualname or mod_name.startswith(qualname + ".")
            for name, value in list(vars(mod).items())
            if callable(value) and not name.startswith("__")
        ]

    def tripwire(self, qualname, original):
        """A callable that records and raises :class:`Forbidden`; in a thread the cells left
        running (not the call's doing) it calls ``original``."""
        stray = self.observer.stray

        def forbidden(*args, **kwargs):
            if threading.get_ident() in stray:
                return original(*args, **kwargs)
            self.trip(qualname)

        return forbidden

    def trip(self, qualname):
        """Record that ``qualname`` was reached (unless by a thread the cells left running,
        which is not the call's doing) and raise :class:`Forbidden`."""
        if threading.get_ident() not in self.observer.stray:
            self.observer.tripped = self.observer.tripped or qualname
        raise Forbidden(qualname)

    def poison(self, value, qualname):
        """Swap the code of a library function, or of each method of a library class, for a
        tripwire's (until :meth:`disarm`)."""
        module = str(getattr(value, "__module__", ""))
        if not module.startswith("dl4cv.") or not (
                f"{module}.".startswith(f"{qualname}.") or qualname.startswith(f"{module}.")):
            return  # not the library's, or only imported by the forbidden module
        if isinstance(value, type):
            classes = [c for c in value.__mro__ if str(c.__module__).startswith("dl4cv.")]
            functions = [getattr(f, "__func__", f) for c in classes for f in vars(c).values()]
        else:
            functions = [value]
        code = _tripwire_code(qualname)
        for function in functions:
            if isinstance(function, types.FunctionType) and not function.__code__.co_freevars:
                if all(function is not done for done, _ in self.poisoned):
                    self.poisoned.append((function, function.__code__))
                    function.__code__ = code

    def replace(self, owner, name, original, replacement):
        """Set ``owner.name`` (or ``owner[name]``) and remember how to undo it."""
        try:
            if isinstance(owner, dict):
                owner[name] = replacement
            else:
                setattr(owner, name, replacement)
        except (AttributeError, TypeError):
            return
        self.patches.append((owner, name, original))

    def disarm(self):
        """Restore everything :meth:`arm` replaced or poisoned, and stop refusing imports."""
        for function, code in reversed(self.poisoned):
            function.__code__ = code
        self.poisoned = []
        for owner, name, original in reversed(self.patches):
            if isinstance(owner, dict):
                owner[name] = original
            else:
                setattr(owner, name, original)
        self.patches = []
        self.observer.forbidden_modules = ()


def _tripwire_code(qualname):
    """The code object of ``def f(*args, **kwargs): __dl4cv_tripwire__(qualname)`` (no free
    variables, so it can replace any plain function's code; the name is found in builtins)."""
    source = f"def forbidden(*args, **kwargs):\n    __dl4cv_tripwire__({qualname!r})\n"
    namespace = {}
    exec(compile(source, "<forbidden>", "exec"), namespace)
    return namespace["forbidden"].__code__


class Worker:
    """The cells' namespace, the objects handed out as handles, and request dispatch."""

    def __init__(self, observer):
        self.observer = observer
        main = types.ModuleType("__main__")  # as in IPython, __main__ is the notebook's namespace
        main.__builtins__ = builtins
        sys.modules["__main__"] = main
        self.namespace = main.__dict__
        self.handles = []
        self.cell_threads = []  # threads started by the cells and still running
        self.calls_started = False

    def handle(self, request):
        """The reply (without ``id``/``flags``) for one decoded request."""
        op = request.get("op")
        if op == "cell":
            reply = self.run_cell(str(request["task_id"]), str(request["source"]))
            self.stray_threads()
            return reply
        if op == "configure":
            self.observer.readable += tuple(os.path.join(os.path.realpath(str(p)), "") for p in request["readable"])
            if request["lean_threads"]:
                lean_threads()
            return {"kind": "ok", "value": None}
        if op == "seed":
            reset_random(int(request["seed"]))
            return {"kind": "ok", "value": None}
        if op == "has":
            return {"kind": "ok", "value": request.get("name") in self.namespace}
        if op in ("call", "new", "get"):
            return self.guarded(request)
        return {"kind": "invalid", "why": f"unknown op {op!r}"}

    def run_cell(self, task_id, source):
        """Execute one cell; an exception is reported and does not stop later cells."""
        self.observer.cell_task = task_id
        try:
            exec(compile_cell(source, f"{CELL_PREFIX}{task_id}>"), self.namespace)
        except BaseException as exc:  # noqa: BLE001 -- SystemExit in a cell is just an error
            return {"kind": "cell", "error": student_traceback(exc)}
        finally:
            self.observer.cell_task = None
            flush_output()
        return {"kind": "cell", "error": None}

    def stray_threads(self):
        """Update ``observer.stray``: the threads still running that a cell started (the
        student may leave a progress printer or a worker loop running). Their output is
        dropped and tripwires let them through: what they do is not the graded call's doing.
        Threads started by calls are not stray.
        """
        alive = threading.enumerate() if not self.calls_started else self.cell_threads
        self.cell_threads = [t for t in alive if t is not threading.main_thread() and t.is_alive()]
        self.observer.stray.clear()
        self.observer.stray.update(t.ident for t in self.cell_threads)

    def quiet(self):
        """Whether the current thread's output is dropped: any thread but the main one while
        the cells run (it may go on printing forever), and the cells' threads afterwards."""
        ident = threading.get_ident()
        if ident == threading.main_thread().ident:
            return False
        return not self.calls_started or ident in self.observer.stray

    def guarded(self, request):
        """Run a call/new/get with tripwires armed; map the outcome to a reply."""
        self.calls_started = True
        self.stray_threads()
        self.observer.tripped = None
        forbid = [str(q) for q in request.get("forbid") or ()]
        imported = self.forbidden_cell_import(request.get("task"), forbid)
        if imported:
            return {"kind": "forbidden", "qualname": imported}
        plugins = PlugIns(self.namespace, request.get("plugins") or {})
        wires = Tripwires(self.observer, self.namespace)
        try:
            wires.arm(forbid)
            plugins.install()
            reply = self.invoke(request)
        except Forbidden:
            reply = None
        except BaseException as exc:  # noqa: BLE001 -- anything the student raises
            reply = raised(exc)
        finally:
            plugins.remove()
            wires.disarm()
            flush_output()
        if self.observer.tripped:
            return {"kind": "forbidden", "qualname": self.observer.tripped}
        return reply

    def forbidden_cell_import(self, task, forbid):
        """The entry of ``forbid`` that the cells of ``task`` imported (or tried to), or None.

        Catches a library module fetched by a name built at run time when the cell ran and
        kept for later, also where the module is kept out of the sandbox and the import failed.
        """
        imported = self.observer.cell_imports.get(str(task), ()) if task is not None else ()
        return next((q for q in forbid for name in imported if name == q or name.startswith(q + ".")), None)

    def invoke(self, request):
        """Perform the call, instantiation or attribute read itself."""
        name = request["name"]
        args, kwargs = request.get("args") or [], request.get("kwargs") or {}
        if request["op"] == "get":
            return plain_reply(getattr(self.handles[request["handle"]], name))
        if request.get("handle") is not None:
            target = getattr(self.handles[request["handle"]], name, None)
        else:
            target = self.namespace.get(name)
        if target is None or not callable(target):
            return {"kind": "not_defined", "name": name}
        before = array_inputs(args, kwargs) if request.get("check_unchanged") else []
        result = target(*args, **kwargs)
        if request["op"] == "new":
            self.handles.append(result)
            return {"kind": "handle", "handle": len(self.handles) - 1}
        changed = changed_input(target, before)
        if changed is not None:
            return {"kind": "changed_input", "argument": changed}
        return plain_reply(result)


class PlugIns:
    """Library functions standing in for top-level names of the cells during one call.

    ``plugins``: name -> qualified name (``{"affine_forward": "dl4cv.layers.affine_forward"}``),
    so that a model check runs the student's model with the library's reference for every
    other task. Resolved before the tripwires are armed.
    """

    def __init__(self, namespace, plugins):
        self.namespace = namespace
        self.chosen = {str(name): resolve(str(qualname)) for name, qualname in dict(plugins).items()}
        self.saved = {}

    def install(self):
        """Put the plug-ins in the namespace, remembering what they replace."""
        for name, value in self.chosen.items():
            self.saved[name] = self.namespace.get(name, _MISSING)
            self.namespace[name] = value

    def remove(self):
        """Restore the namespace as it was."""
        for name, value in self.saved.items():
            if value is _MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
        self.saved = {}


_MISSING = object()


def resolve(qualname):
    """The object ``package.module.attr`` names (importing the module)."""
    module, _, attr = qualname.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def array_inputs(args, kwargs):
    """``(path, array, copy)`` for every ndarray among a call's arguments, nested ones included
    (``(1, 0)``: the first item of the second positional argument)."""
    found = []

    def walk(path, value):
        if isinstance(value, np.ndarray):
            found.append((path, value, value.copy()))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk((*path, i), item)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk((*path, key), item)

    for i, value in enumerate(args):
        walk((i,), value)
    for key, value in kwargs.items():
        walk((key,), value)
    return found


def changed_input(target, before):
    """The name of the first argument (``x``, ``cache[0]``) the call changed in place, or None."""
    for path, array, copy in before:
        if array.shape != copy.shape or array.dtype != copy.dtype or array.tobytes() != copy.tobytes():
            head = path[0]
            if isinstance(head, int):
                try:
                    names = [p.name for p in inspect.signature(target).parameters.values()
                             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
                except BaseException:  # noqa: BLE001 -- the student's callable may do anything
                    names = []
                head = names[head] if head < len(names) else f"argument {head + 1}"
            return safe_text(head, 100) + "".join(f"[{safe_text(p, 40)!s}]" for p in path[1:])
    return None


def plain_reply(value):
    """An ``ok`` reply if ``value`` is plain data, else ``bad_return`` saying why."""
    try:
        protocol.encode(value)
    except protocol.NotPlainData as exc:
        return {"kind": "bad_return", "why": str(exc)}
    return {"kind": "ok", "value": value}


def reset_random(seed):
    """Reset every global random state the student's code can reach, from ``seed`` (an int
    >= 0), so that the same submission draws the same numbers in every grading: Python's
    ``random``, NumPy's legacy global (``np.random.rand``, ``np.random.choice`` ...), and the
    entropy NumPy draws for a generator made without a seed (``np.random.default_rng()``,
    ``PCG64()``, as the library's helpers do when given no ``rng``)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    numpy.random.bit_generator.randbits = random.Random(seed + 1).getrandbits


def lean_threads():
    """Let honest thread pools fit under an address-space limit (RLIMIT_AS, minimal isolation),
    which counts each thread's stack (8 MB by default) and each malloc arena (64 MB)."""
    threading.stack_size(LEAN_THREAD_STACK)
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, LEAN_ARENAS)
    except (OSError, AttributeError):  # not glibc
        pass


class OutStream:
    """The student's ``sys.stdout``/``sys.stderr``: writes for which ``quiet()`` is true (see
    :meth:`Worker.quiet`) are dropped, so a loop printing in the background neither fills
    the captured output nor interleaves with the checks' calls."""

    def __init__(self, stream, quiet):
        self._stream, self._quiet = stream, quiet

    def write(self, text):
        if self._quiet():
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def look_like_a_kernel():
    """``sys.argv`` as in a Jupyter kernel (the real command line already is one's), and
    delete this file and ``protocol.py`` when the launcher copied them into the cwd."""
    here = os.path.dirname(os.path.abspath(__file__))
    if here == os.path.realpath(os.getcwd()):
        stem = os.path.splitext(os.path.basename(__file__))[0]
        for name in (os.path.basename(__file__), "protocol.py"):
            os.unlink(os.path.join(here, name))
        cache = os.path.join(here, "__pycache__")  # the bytecode runpy wrote for this file
        for name in os.listdir(cache) if os.path.isdir(cache) else ():
            if name.startswith(stem + "."):
                os.unlink(os.path.join(cache, name))
        if os.path.isdir(cache) and not os.listdir(cache):
            os.rmdir(cache)
    sys.argv = [os.path.join(site.getsitepackages()[0], KERNEL_LAUNCHER)] + sys.argv[1:]


def flush_output():
    """Flush the student's stdout/stderr so captured output keeps its order."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 -- the student may have replaced the streams
            pass


def serve(sock, worker):
    """Answer requests until the trusted side closes the socket. A child the student's code
    forked gets no protocol socket; if it comes back here, it exits quietly."""
    server = os.getpid()
    os.register_at_fork(after_in_child=sock.close)
    while True:
        try:
            request = protocol.read_frame(sock)
        except EOFError:
            return
        if type(request) is not dict:
            reply = {"kind": "invalid", "why": "a request must be a dict"}
        else:
            try:
                reply = worker.handle(request)
            except (KeyError, TypeError, ValueError) as exc:
                reply = {"kind": "invalid", "why": f"malformed request: {exc!r}"}
            reply["id"] = request.get("id")
        if os.getpid() != server:
            os._exit(0)
        reply["flags"] = worker.observer.take()
        protocol.write_frame(sock, reply)


def main():
    """Entry point (see the module docstring)."""
    sock = socket.socket(fileno=WORKER_FD)
    os.set_inheritable(WORKER_FD, False)  # not for programs the student runs
    look_like_a_kernel()
    sys.stdin = open(os.devnull)  # noqa: SIM115 -- lives as long as the process
    observer = Observer(sys.path + [sys.prefix, sys.base_prefix, "/usr", "/etc", "/proc", "/dev", "/sys"])
    worker = Worker(observer)
    sys.stdout, sys.stderr = OutStream(sys.stdout, worker.quiet), OutStream(sys.stderr, worker.quiet)
    stub = IPythonStub(observer)
    builtins.get_ipython = lambda: stub
    sys.addaudithook(observer.audit)
    sys.meta_path.insert(0, observer)
    protocol.write_frame(sock, {"kind": "ready", "pid": os.getpid(), "flags": []})
    serve(sock, worker)


if __name__ == "__main__":
    main()
