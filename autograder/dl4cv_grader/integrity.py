"""Integrity flags: static signs that a submission tried to game or escape the grader.

Flags never change a score (the sandbox and the trusted checks decide that); they point a
human at submissions worth a look. ``scan(source)`` walks the AST of the student's graded
code; ``status_flags(results)`` adds one flag per abnormal check outcome.
"""
import ast

# Module prefixes whose use in graded code is suspicious, and the flag each raises.
_MODULES = {
    "socket": "network", "urllib": "network", "http": "network", "requests": "network",
    "subprocess": "process_spawn", "multiprocessing": "process_spawn", "threading": "process_spawn",
    "signal": "signal_handler", "sqlite3": "file_access", "shutil": "file_access",
    "ctypes": "native_code", "importlib": "dynamic_import", "inspect": "introspection",
    "gc": "introspection",
}
_CALLS = {
    "os._exit": "exit_call", "sys.exit": "exit_call", "os.kill": "process_spawn",
    "os.fork": "process_spawn", "os.system": "process_spawn", "os.popen": "process_spawn",
    "get_ipython": "ipython_hooks", "open": "file_access", "exec": "dynamic_code",
    "eval": "dynamic_code", "compile": "dynamic_code", "__import__": "dynamic_import",
}
_ABNORMAL = ("timeout", "memory", "crash", "policy")
# Names that refer to modules in graded code even without an import in the cell (the prelude).
_MODULE_NAMES = {"np", "numpy", "builtins", "os", "sys", "math", "dl4cv", "scipy"}


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def scan(source):
    """Sorted flag names for one piece of student source (``unparsable`` if not Python)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ["unparsable"]
    aliases, flags = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            base = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                aliases[alias.asname or alias.name.split(".")[0]] = full if base else alias.name.split(".")[0]
                top = full.split(".")[0]
                if top in _MODULES:
                    flags.add(_MODULES[top])
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            head, _, rest = name.partition(".")
            name = f"{aliases.get(head, head)}.{rest}" if rest else aliases.get(head, head)
            if name in _CALLS:
                flags.add(_CALLS[name])
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and (
                        _dotted(target).split(".")[0] in set(aliases) | _MODULE_NAMES):
                    flags.add("monkeypatch")
        elif isinstance(node, ast.FunctionDef) and node.name in ("__eq__", "__ne__", "__bool__",
                                                                  "__array_ufunc__", "__array_function__"):
            flags.add("custom_comparison")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if "score" in text or "gradebook" in text:
                flags.add("grading_words")
    return sorted(flags)


def status_flags(results):
    """``check_<status>`` for each abnormal check status among ``results`` (CheckResult list)."""
    return sorted({f"check_{r.status}" for r in results if r.status in _ABNORMAL})
