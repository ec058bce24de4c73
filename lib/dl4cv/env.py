"""``check()``: the setup cell of every notebook. What is installed, and what to run if not."""
import importlib.metadata
import os
import platform
import sys
from pathlib import Path

from dl4cv import config


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def on_colab():
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def check(verbose=True):
    """Print (when ``verbose``) and return the environment and dataset summary.

    Returns a dict: dl4cv (version), path, python, numpy, numba (versions), colab, smoke,
    data_dir, datasets ({name: "real" | "real-partial" | "synthetic" | "missing" | ...}) and
    fixes ({name: command} for datasets that are not the real thing).
    """
    import dl4cv
    from dl4cv.data.status import status

    states = status()
    info = {
        "dl4cv": dl4cv.__version__,
        "path": str(Path(dl4cv.__file__).parent),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "colab": on_colab(),
        "smoke": config.smoke(),
        "data_dir": str(config.data_dir()),
        "datasets": {name: s.kind for name, s in states.items()},
        "fixes": {name: s.fix for name, s in states.items() if s.fix},
    }
    if verbose:
        print(f"dl4cv {info['dl4cv']} from {info['path']}")
        print(f"Python {info['python']}, NumPy {info['numpy']}, Numba {info['numba']}"
              f"{', on Colab' if info['colab'] else ''}")
        print(f"smoke mode (DL4CV_SMOKE): {'ON, small data and few iterations' if info['smoke'] else 'off'}")
        print(f"data directory: {info['data_dir']}")
        for name, state in states.items():
            note = {"synthetic": "  <- SYNTHETIC stand-in, not the real data",
                    "real-partial": "  <- real but PARTIAL",
                    "incomplete": f"  <- lacks {', '.join(state.missing_files)}"}.get(state.kind, "")
            print(f"  {name:16s} {state.kind}{note}")
        for name, fix in info["fixes"].items():
            if in_notebook():
                print(f"to get the real {name}, run in a cell: {as_cell_command(fix)}")
            else:
                print(f"to get the real {name}: {fix}")
    return info


def in_notebook():
    """True inside a running Jupyter kernel (JupyterLab, Colab), where commands run as ``!``
    cells: IPython's shell has a kernel. (A process that merely imported ipykernel, as a test
    runner or nbclient does, is not a notebook.)"""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def as_cell_command(command):
    """A printed ``python ...`` command as a notebook cell must run it: with the kernel's own
    interpreter, ``!{sys.executable} ...`` (a bare ``!python`` may be another Python)."""
    for python in (f"{sys.executable} ", "python "):
        if command.startswith(python):
            return "!{sys.executable} " + command[len(python):]
    return f"!{command}"
