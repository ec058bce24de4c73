"""Commands in and from notebooks run with the kernel's own Python, never a bare ``python``.

A ``!python`` or ``!pip`` cell runs whatever ``python`` comes first on the PATH of the
Jupyter server, which is often not the kernel's (a system Python without dl4cv, or another
venv). ``!{sys.executable} ...`` always runs the kernel's interpreter.
"""
import re
import sys
import types

import nbformat
import pytest
from nbclient import NotebookClient

import dl4cv.env
from dl4cv_grader import nbhygiene
from dl4cv_grader.manifest import REPO

BARE = re.compile(r"!\s*(?:python3?|pip3?)\b")


@pytest.mark.parametrize("path", nbhygiene.notebooks_under(REPO / "solutions", REPO / "assignments"),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_no_notebook_runs_or_suggests_a_bare_python_or_pip(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        assert not BARE.search(cell.source), f"{cell.id}: use !{{sys.executable}} -m ... instead"
    uses = [c.id for c in nb.cells if "{sys.executable}" in c.source]
    setup = next((c.source for c in nb.cells if c.id == "setup"), "")
    assert not uses or re.search(r"^import sys\b", setup, re.M), f"{uses} need `import sys` in the setup cell"


def test_env_check_in_a_kernel_prints_fixes_as_cells_with_the_kernels_python(data_dir, monkeypatch, capsys):
    shell = types.SimpleNamespace(kernel=object())  # what IPython's shell has inside a kernel
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    info = dl4cv.env.check()
    out = capsys.readouterr().out
    assert info["fixes"]  # nothing is installed in the empty data folder
    for name in info["fixes"]:
        assert f"to get the real {name}, run in a cell: !{{sys.executable}} -m dl4cv.data fetch {name}" in out
    assert not BARE.search(out)


def test_env_check_in_a_shell_prints_the_plain_command(data_dir, monkeypatch, capsys):
    import ipykernel  # noqa: F401 -- imported (as by nbclient or a test runner) is not in a kernel

    info = dl4cv.env.check()
    out = capsys.readouterr().out
    assert all(f"to get the real {name}: {fix}" in out for name, fix in info["fixes"].items())
    assert "{sys.executable}" not in out


@pytest.mark.slow
def test_the_printed_cell_command_runs_the_kernels_own_interpreter(tmp_path):
    setup = "import sys\nprint(sys.executable)"
    printed = dl4cv.env.as_cell_command("python -c \"import sys; print('shell:', sys.executable)\"")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(printed)])
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    kernel_python = nb.cells[0].outputs[0].text.strip()
    assert nb.cells[1].outputs[0].text.strip() == f"shell: {kernel_python}"
