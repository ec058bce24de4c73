"""pyproject.toml and environment.yml must describe the same environment."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(req: str) -> tuple[str, str]:
    """'numpy>=1.26' -> ('numpy', '>=1.26'); names are normalised as pip does."""
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", req)
    assert m, f"cannot parse requirement {req!r}"
    return re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(2).replace(" ", "")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _conda_env():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_every_pyproject_requirement_is_in_environment_yml_with_the_same_bound():
    project = _pyproject()
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    wanted = dict(_split(r) for r in reqs)
    conda = dict(_split(d) for d in _conda_env()["dependencies"] if isinstance(d, str))
    missing = sorted(set(wanted) - set(conda))
    assert not missing, f"environment.yml lacks {missing}: add them with the bounds from pyproject.toml"
    differ = {n: (wanted[n], conda[n]) for n in wanted if wanted[n] != conda[n]}
    assert not differ, f"bounds differ (pyproject, environment.yml): {differ}"


def test_environment_yml_has_nothing_pyproject_lacks():
    project = _pyproject()
    names = {_split(r)[0] for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_split(r)[0] for r in extra}
    conda = {_split(d)[0] for d in _conda_env()["dependencies"] if isinstance(d, str)}
    extra_in_conda = sorted(conda - names - {"python", "pip"})
    assert not extra_in_conda, f"environment.yml has {extra_in_conda} that pyproject.toml does not"


def test_python_bounds_agree_and_runtime_bounds_are_lower_only():
    project = _pyproject()
    conda = dict(_split(d) for d in _conda_env()["dependencies"] if isinstance(d, str))
    assert conda["python"] == project["requires-python"]
    for req in project["dependencies"]:
        name, spec = _split(req)
        assert spec.startswith(">=") and "," not in spec and "<" not in spec, (
            f"runtime dependency {name} must have a lower bound only, not {spec!r}"
        )


def test_environment_yml_installs_this_project_with_pip():
    pip_lists = [d["pip"] for d in _conda_env()["dependencies"] if isinstance(d, dict)]
    assert ["-e .[instructor,dev]"] in pip_lists
