"""The command line (python -m dl4cv.data ...), data_setup.sh and env.check()."""
import subprocess
import sys
from pathlib import Path

import pytest

from dl4cv.data.__main__ import main
from dl4cv.data.status import status
from dl4cv.env import check

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", ["list", "fetch", "import", "verify", "synthetic"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0 and "usage: python -m dl4cv.data" in capsys.readouterr().out


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
