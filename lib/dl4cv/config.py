"""Run-time modes read from the environment.

- ``DL4CV_SMOKE=1``: small data and few iterations, so every notebook runs top to bottom in
  seconds (CI, grading, a quick look).
- ``DL4CV_DATA_DIR``: where datasets live (default: a per-user cache directory).
"""
import os
from pathlib import Path

import platformdirs

_TRUE = {"1", "true", "yes", "on"}


def smoke() -> bool:
    """True when ``DL4CV_SMOKE`` asks for the small, fast mode."""
    return os.environ.get("DL4CV_SMOKE", "").strip().lower() in _TRUE


def data_dir() -> Path:
    """The dataset directory: ``$DL4CV_DATA_DIR`` or the per-user cache (not created here)."""
    env = os.environ.get("DL4CV_DATA_DIR", "").strip()
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("dl4cv")) / "data"
