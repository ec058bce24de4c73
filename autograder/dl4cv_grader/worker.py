"""The program that runs INSIDE the sandbox: executes the notebook's cells, then answers calls.

Run as ``python -I worker.py FD`` where FD is one end of a socket pair; the only other file
it needs is ``protocol.py`` beside it (both are copied into a directory the sandbox can see;
nothing else of ``dl4cv_grader`` is importable in the sandbox).

Everything here is *untrusted*: student code runs in this process and may patch anything,
including this module. The trusted side therefore believes nothing but the plain data it
decodes. The integrity flags and forbidden-API tripwires below are advisory and best-effort.

Requests (plain-data dicts, each with an ``id`` echoed in the reply):

* ``{"op": "cell", "task_id", "source"}`` -- execute one cell as plain Python (not IPython;
  the grader sends magics already rewritten as ``get_ipython()`` calls, which do nothing);
* ``{"op": "call", "name", "handle", "args", "kwargs", "forbid"}`` -- call a top-level
  function (``handle`` None) or a method of an object created by ``new``;
* ``{"op": "new", "name", "args", "kwargs", "forbid"}`` -- instantiate a student class;
* ``{"op": "get", "handle", "name"}`` -- read an attribute of such an object;
* ``{"op": "has", "name"}`` -- whether the cells defined a top-level name.

Replies have a ``kind``: ``ready``, ``cell`` (``error``: student-visible traceback or None),
``ok`` (``value``), ``handle`` (``handle``), ``raised`` (``type``, ``message``, ``traceback``),
``not_defined`` (``name``), ``bad_return`` (``why``), ``forbidden`` (``qualname``) or
``invalid`` (``why``: a request the worker could not understand). Every reply carries
``flags``: integrity observations made since the previous reply.
"""
import builtins
import linecache
import math
import os
import socket
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol  # noqa: E402  (the copy beside this file)

import numpy as np  # noqa: E402

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
        self.scratch = os.path.join(os.path.realpath(os.getcwd()), "")
        self.snapshot = {
            (module.__name__, name): value
            for module in WATCHED_MODULES for name, value in vars(module).items()
            if not name.startswith("_")
        }
        self.forbidden_modules = ()
        self.tripped = None

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
        elif event == "import" and self.forbidden_modules:
            self.on_import(args[0])
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

    def on_import(self, name):
        """Refuse imports of forbidden modules while a call is running."""
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
    """Replaces forbidden callables with tripwires for the duration of one call."""

    def __init__(self, observer, namespace):
        self.observer = observer
        self.namespace = namespace
        self.patches = []

    def arm(self, qualnames):
        """Install tripwires for ``qualnames`` (modules, functions or classes)."""
        self.observer.forbidden_modules = tuple(qualnames)
        for qualname in qualnames:
            for owner, name in self.targets(qualname):
                original = getattr(owner, name)
                self.replace(owner, name, original, self.tripwire(qualname))
                for key, value in list(self.namespace.items()):
                    if value is original:
                        self.replace(self.namespace, key, original, self.tripwire(qualname))

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

    def tripwire(self, qualname):
        """A callable that records and raises :class:`Forbidden`."""
        observer = self.observer

        def forbidden(*args, **kwargs):
            observer.tripped = observer.tripped or qualname
            raise Forbidden(qualname)

        return forbidden

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
        """Restore everything :meth:`arm` replaced, and stop refusing imports."""
        for owner, name, original in reversed(self.patches):
            if isinstance(owner, dict):
                owner[name] = original
            else:
                setattr(owner, name, original)
        self.patches = []
        self.observer.forbidden_modules = ()


class Worker:
    """The cells' namespace, the objects handed out as handles, and request dispatch."""

    def __init__(self, observer):
        self.observer = observer
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.handles = []

    def handle(self, request):
        """The reply (without ``id``/``flags``) for one decoded request."""
        op = request.get("op")
        if op == "cell":
            return self.run_cell(str(request["task_id"]), str(request["source"]))
        if op == "has":
            return {"kind": "ok", "value": request.get("name") in self.namespace}
        if op in ("call", "new", "get"):
            return self.guarded(request)
        return {"kind": "invalid", "why": f"unknown op {op!r}"}

    def run_cell(self, task_id, source):
        """Execute one cell; an exception is reported and does not stop later cells."""
        try:
            exec(compile_cell(source, f"{CELL_PREFIX}{task_id}>"), self.namespace)
        except BaseException as exc:  # noqa: BLE001 -- SystemExit in a cell is just an error
            return {"kind": "cell", "error": student_traceback(exc)}
        finally:
            flush_output()
        return {"kind": "cell", "error": None}

    def guarded(self, request):
        """Run a call/new/get with tripwires armed; map the outcome to a reply."""
        self.observer.tripped = None
        wires = Tripwires(self.observer, self.namespace)
        try:
            wires.arm([str(q) for q in request.get("forbid") or ()])
            reply = self.invoke(request)
        except Forbidden:
            reply = None
        except BaseException as exc:  # noqa: BLE001 -- anything the student raises
            reply = raised(exc)
        finally:
            wires.disarm()
            flush_output()
        if self.observer.tripped:
            return {"kind": "forbidden", "qualname": self.observer.tripped}
        return reply

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
        result = target(*args, **kwargs)
        if request["op"] == "new":
            self.handles.append(result)
            return {"kind": "handle", "handle": len(self.handles) - 1}
        return plain_reply(result)


def plain_reply(value):
    """An ``ok`` reply if ``value`` is plain data, else ``bad_return`` saying why."""
    try:
        protocol.encode(value)
    except protocol.NotPlainData as exc:
        return {"kind": "bad_return", "why": str(exc)}
    return {"kind": "ok", "value": value}


def flush_output():
    """Flush the student's stdout/stderr so captured output keeps its order."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 -- the student may have replaced the streams
            pass


def serve(sock, worker):
    """Answer requests until the trusted side closes the socket."""
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
        reply["flags"] = worker.observer.take()
        protocol.write_frame(sock, reply)


def main(argv):
    """Entry point: ``worker.py FD``."""
    sock = socket.socket(fileno=int(argv[1]))
    sys.stdin = open(os.devnull)  # noqa: SIM115 -- lives as long as the process
    readable = os.environ.get("DL4CV_SANDBOX_READABLE", "").split(os.pathsep) + sys.path
    observer = Observer(readable + [sys.prefix, sys.base_prefix, "/usr", "/etc", "/proc", "/dev", "/sys"])
    stub = IPythonStub(observer)
    builtins.get_ipython = lambda: stub
    sys.addaudithook(observer.audit)
    protocol.write_frame(sock, {"kind": "ready", "pid": os.getpid(), "flags": []})
    serve(sock, Worker(observer))


if __name__ == "__main__":
    main(sys.argv)
