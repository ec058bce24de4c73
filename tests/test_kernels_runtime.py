"""dl4cv.runtime: thread settings and a writable Numba cache, checked in fresh processes."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dl4cv import warmup

LIB = Path(__file__).resolve().parents[1] / "lib"
JIT_OFF = os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")


def _run(code, env_extra=(), pythonpath=LIB):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_THREADING", "NUMBA_CACHE"))}
    env.update(env_extra)
    env["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_sets_the_threading_layer_before_numba_starts():
    code = "import dl4cv, numba, os; print(os.environ['NUMBA_THREADING_LAYER'], numba.config.THREADING_LAYER)"
    assert _run(code) == "workqueue workqueue"


def test_a_users_threading_layer_is_kept():
    code = "import dl4cv, os; print(os.environ['NUMBA_THREADING_LAYER'])"
    assert _run(code, {"NUMBA_THREADING_LAYER": "omp"}) == "omp"


@pytest.mark.slow
def test_read_only_install_caches_kernels_per_user(tmp_path):
    # A copy of the package whose kernels/__pycache__ cannot become a folder (a file is in
    # the way: unwritable even for root), with the per-user cache under XDG_CACHE_HOME.
    pkg = tmp_path / "site"
    shutil.copytree(LIB / "dl4cv", pkg / "dl4cv", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "dl4cv" / "kernels" / "__pycache__").write_text("not a folder")
    cache_home = tmp_path / "cache"
    code = (
        "import os, numpy as np, dl4cv\n"
        "from dl4cv.kernels.pooling import max_pool_forward\n"
        "max_pool_forward(np.zeros((1, 1, 2, 2)), 2, 2, 2)\n"
        "print(os.environ['NUMBA_CACHE_DIR'])"
    )
    cache_dir = _run(code, {"XDG_CACHE_HOME": str(cache_home)}, pythonpath=pkg)
    assert Path(cache_dir) == cache_home / "dl4cv" / "numba"
    if not JIT_OFF:
        assert list(Path(cache_dir).rglob("*.nbi")), "nothing was cached"
    # no writable per-user folder either: fall back to the temporary directory
    (tmp_path / "blocked").write_text("a file, not a folder")
    cache_dir = _run(code, {"XDG_CACHE_HOME": str(tmp_path / "blocked"), "TMPDIR": str(tmp_path)}, pythonpath=pkg)
    assert Path(cache_dir).parent == tmp_path and Path(cache_dir).name.startswith("dl4cv-numba-")
    # a user's NUMBA_CACHE_DIR always wins
    assert _run(code, {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}, pythonpath=pkg) == str(tmp_path / "mine")


def test_writable_install_caches_beside_the_source():
    assert _run("import dl4cv, os; print(os.environ.get('NUMBA_CACHE_DIR', 'unset'))") == "unset"


def test_warmup_compiles_every_kernel_for_the_course_dtypes():
    compiled = warmup.warmup()
    if JIT_OFF:
        assert compiled == {}
        return
    modules = {name.split(".")[0] for name in compiled}
    assert modules == {"direct_conv", "distances", "hog", "hue_histogram", "im2col", "pooling", "winograd"}
    float64_only = {"hog._hog_kernel", "hue_histogram._hue_histogram_kernel"}
    for name, n_signatures in compiled.items():
        assert n_signatures >= (1 if name in float64_only else 2), name


def test_warmup_reports_each_kernel_as_it_becomes_ready(capsys):
    if JIT_OFF:
        pytest.skip("NUMBA_DISABLE_JIT=1: there are no compiled kernels to report")
    compiled = warmup.warmup(verbose=True)
    lines = capsys.readouterr().out.splitlines()
    total = len(compiled)
    progress = [line for line in lines if line.startswith("kernel ")]
    assert [line.split(":")[0] for line in progress] == [f"kernel {n} of {total}" for n in range(1, total + 1)]
    assert sorted(line.split(": ")[1] for line in progress) == sorted(compiled)
