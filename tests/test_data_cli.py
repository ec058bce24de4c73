"""The command line (python -m dl4cv.data ...), data_setup.sh and env.check()."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dl4cv import shell
from dl4cv.data.__main__ import main
from dl4cv.data.status import status
from dl4cv.env import check

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", ["list", "fetch", "import", "verify", "synthetic"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0 and f"usage: {shell.module('dl4cv.data')}" in capsys.readouterr().out


def test_synthetic_then_verify_then_list(data_dir, capsys):
    assert main(["synthetic", "mnist", "--num-train", "200", "--num-test", "50"]) == 0
    assert status()["mnist"].kind == "synthetic"
    assert main(["verify", "mnist"]) == 0
    assert "mnist: OK (synthetic)" in capsys.readouterr().out
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "installed: synthetic" in out and "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in out


def test_verify_detects_a_file_changed_after_install(data_dir, capsys):
    assert main(["synthetic", "mnist", "--num-train", "200", "--num-test", "50"]) == 0
    (data_dir / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b")
    assert main(["verify", "mnist"]) == 1
    out = capsys.readouterr().out
    assert "t10k-labels-idx1-ubyte.gz changed since it was installed" in out
    assert "python -m dl4cv.data fetch --force mnist" in out


def test_failures_exit_non_zero(data_dir, tmp_path, capsys):
    assert main(["fetch", "no-such-dataset"]) == 1
    assert "unknown dataset 'no-such-dataset'" in capsys.readouterr().err
    assert main(["import", "--from", str(tmp_path / "empty-nowhere")]) == 1
    (tmp_path / "empty").mkdir()
    assert main(["import", "--from", str(tmp_path / "empty")]) == 1
    assert "Nothing imported" in capsys.readouterr().err
    assert main(["verify"]) == 1  # nothing installed


def test_data_setup_sh_passes_arguments_through(data_dir):
    result = subprocess.run(["bash", str(ROOT / "data_setup.sh"), "synthetic", "imagenet_val"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "SYNTHETIC imagenet_val" in result.stdout
    assert status()["imagenet_val"].kind == "synthetic"


def test_env_check_prints_and_returns_the_summary(data_dir, capsys):
    assert main(["synthetic", "imagenet_val"]) == 0
    capsys.readouterr()
    info = check()
    out = capsys.readouterr().out
    assert info["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert info["data_dir"] == str(data_dir) and str(data_dir) in out
    assert info["datasets"] == {"cifar10": "missing", "mnist": "missing",
                                "coco_captioning": "missing", "imagenet_val": "synthetic"}
    assert "SYNTHETIC" in out and "python -m dl4cv.data fetch cifar10" in out
    assert info["smoke"] is False and "smoke mode (DL4CV_SMOKE): off" in out


def test_printed_commands_work_from_a_plain_shell(data_dir, tmp_path):
    """In the venv the commands name its interpreter, so a shell without it on PATH runs them."""
    run = subprocess.run([sys.executable, "-m", "dl4cv.data", "verify"], capture_output=True,
                         text=True, cwd=tmp_path)
    printed = run.stderr.strip().split(": ", 1)[1]
    assert printed == (f"{sys.executable} -m dl4cv.data fetch" if shell.in_venv() else "python -m dl4cv.data fetch")
    plain = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "DL4CV_DATA_DIR": str(data_dir)}
    listed = subprocess.run(["bash", "-c", printed.replace(" fetch", " list")], capture_output=True,
                            text=True, env=plain, cwd=tmp_path)
    assert listed.returncode == 0 and f"data directory: {data_dir}" in listed.stdout, listed.stderr


def test_outside_a_venv_the_commands_say_python(monkeypatch):
    monkeypatch.setattr(sys, "base_prefix", sys.prefix)
    assert shell.module("dl4cv.data", "fetch", "mnist") == "python -m dl4cv.data fetch mnist"
    assert shell.script("dl4cv-grade") == "dl4cv-grade"


def test_offline_fetch_ends_with_the_synthetic_fallback_command(data_dir, monkeypatch, capsys):
    import dataclasses
    import socket

    from dl4cv.data.registry import REGISTRY

    with socket.socket() as s:  # a local port nobody listens on: offline within milliseconds
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/imagenet_val_25.npz"
    remote = dataclasses.replace(REGISTRY["imagenet_val"].archives[0], urls=(url,))
    monkeypatch.setitem(REGISTRY, "imagenet_val", dataclasses.replace(REGISTRY["imagenet_val"], archives=(remote,)))
    assert main(["fetch", "--no-progress", "imagenet_val"]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert shell.module("dl4cv.data", "fetch", "--fallback-synthetic", "imagenet_val") in last
    assert "SYNTHETIC" in last


@pytest.fixture
def read_only_data():
    """``run(args)``: run ``python args`` as a user who cannot write to a data folder holding
    imagenet_val; -> CompletedProcess. As root, chmod does not stop writes, so the command runs
    as nobody (setpriv) in a folder outside root's private pytest folders."""
    folder = Path(tempfile.mkdtemp(prefix="dl4cv-ro-"))
    folder.chmod(0o755)
    data, home = folder / "data", folder / "home"
    from dl4cv.data.synthetic import generate

    generate("imagenet_val", data)
    home.mkdir()
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: no way to make a folder read-only")
        shutil.chown(home, "nobody")
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    else:
        for path in (data, data / "imagenet_val"):
            path.chmod(0o555)
    env = dict(os.environ, DL4CV_DATA_DIR=str(data), HOME=str(home))
    env.pop("NUMBA_CACHE_DIR", None)

    def run(args):
        return subprocess.run(prefix + [sys.executable, *args], capture_output=True, text=True,
                              env=env, cwd=home)

    yield run
    for path in (data, data / "imagenet_val"):
        path.chmod(0o755)
    shutil.rmtree(folder)


def test_a_read_only_data_dir_gives_one_clear_message(read_only_data):
    run = read_only_data(["-m", "dl4cv.data", "fetch", "--fallback-synthetic", "imagenet_val", "mnist"])
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "PermissionError" not in run.stderr
    assert "cannot write to the data directory" in run.stderr and "DL4CV_DATA_DIR" in run.stderr


def test_reading_data_from_a_read_only_dir_just_works(read_only_data):
    code = "from dl4cv.data import load_imagenet_val; X, y, names = load_imagenet_val(); print(X.shape)"
    run = read_only_data(["-W", "ignore", "-c", code])
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(25, 224, 224, 3)"


def test_missing_only_keeps_an_installed_partial_set_without_a_failed_download(data_dir, monkeypatch, capsys):
    """setup.sh --from DIR: after the import, only what is still missing is downloaded."""
    import dataclasses

    from dl4cv.data.registry import REGISTRY

    assert main(["synthetic", "imagenet_val"]) == 0
    remote = dataclasses.replace(REGISTRY["imagenet_val"].archives[0], urls=("http://127.0.0.1:9/x.npz",))
    monkeypatch.setitem(REGISTRY, "imagenet_val", dataclasses.replace(REGISTRY["imagenet_val"], archives=(remote,)))
    capsys.readouterr()
    assert main(["fetch", "--fallback-synthetic", "--missing-only", "--no-progress", "imagenet_val"]) == 0
    out = capsys.readouterr()
    assert "Could not download" not in out.out + out.err
    assert "imagenet_val: keeping the installed synthetic set" in out.out
    assert shell.module("dl4cv.data", "fetch", "imagenet_val") in out.out
