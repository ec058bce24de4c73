"""Commands as the user can paste them into a plain shell, with no virtual environment active.

Every command that dl4cv prints or documents is written with these helpers: inside a virtual
environment (``bash setup.sh`` makes ``.venv``) they name its interpreter and scripts by their
full path, e.g. ``/home/me/dl4cv/.venv/bin/python -m dl4cv.data fetch``; elsewhere (Colab, a
system install) the plain ``python`` and script names, which are then on PATH.
"""
import os
import shlex
import sys
from pathlib import Path


def in_venv():
    """True when this interpreter runs inside a virtual environment."""
    return sys.prefix != sys.base_prefix


def _shown(path):
    """``path`` in full (it works after any ``cd``), quoted for the shell."""
    return shlex.quote(str(Path(path).absolute()))


def python():
    """The interpreter to type: the venv's by path, else ``python``."""
    return _shown(sys.executable) if in_venv() else "python"


def script(name):
    """A console script (``dl4cv-grade``, ``jupyter``): the venv's by path, else ``name``."""
    path = Path(sys.executable).parent / name
    return _shown(path) if in_venv() and os.access(path, os.X_OK) else name


def module(name, *args):
    """``python -m name args...`` as it can be typed, e.g. ``module("dl4cv.data", "fetch")``."""
    return " ".join([python(), "-m", name, *args])
