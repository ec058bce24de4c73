"""``python -m dl4cv.start a1 [DIR]``: a student's own working copy of an assignment.

Copies the assignment's released notebooks into a folder of the student's own (default
``~/dl4cv-work/<assignment>``, outside the course repository), so that updating the course never
touches their work and their work never changes the repository. A notebook already there is
never overwritten: only missing ones are copied, and the command says which it kept. Needs only
the student install (``dl4cv``), not the grader.
"""
import argparse
import shlex
import shutil
import sys
from pathlib import Path

from dl4cv import shell

#: A clone's released notebooks: ``<repo>/assignments/<assignment>/*.ipynb``.
RELEASED = Path(__file__).resolve().parents[2] / "assignments"
DEFAULT_ROOT = Path("~/dl4cv-work")


def released(assignment, root=RELEASED):
    """The released notebooks of ``assignment``, sorted; a clear error when there are none."""
    notebooks = sorted((Path(root) / assignment).glob("*.ipynb"))
    if not notebooks:
        known = sorted(p.name for p in Path(root).glob("*") if any(p.glob("*.ipynb")))
        if known:
            raise FileNotFoundError(f"there is no assignment {assignment!r}; released: {', '.join(known)}")
        raise FileNotFoundError(f"this install has no released notebooks (looked in {root}); "
                                f"clone the course repository and run `bash setup.sh` there")
    return notebooks


def start(assignment, folder=None, root=RELEASED):
    """Copy ``assignment``'s released notebooks that ``folder`` lacks; -> (folder, copied, kept).

    copied, kept: notebook file names. ``folder`` must lie outside the repository holding them.
    """
    notebooks = released(assignment, root)
    folder = Path(folder or DEFAULT_ROOT / assignment).expanduser().resolve()
    repo = Path(root).resolve().parent
    if folder.is_relative_to(repo):
        raise ValueError(f"{folder} is inside the course repository {repo}; choose a folder of "
                         f"your own outside it (default {DEFAULT_ROOT / assignment}), so that "
                         f"updating the course never touches your work")
    folder.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for notebook in notebooks:
        target = folder / notebook.name
        if target.exists():
            kept.append(notebook.name)
            continue
        shutil.copyfile(notebook, target)
        copied.append(notebook.name)
    return folder, copied, kept


def main(argv=None):
    """Run the command line; returns the exit status (0: success)."""
    parser = argparse.ArgumentParser(prog=f"{shell.python()} -m dl4cv.start", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="e.g. a1")
    parser.add_argument("folder", nargs="?", help=f"your working folder (default: {DEFAULT_ROOT}/ASSIGNMENT)")
    args = parser.parse_args(argv)
    try:
        folder, copied, kept = start(args.assignment, args.folder)
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"dl4cv.start: error: {error}", file=sys.stderr)
        return 1
    print(f"working copy of {args.assignment}: {folder}")
    if copied:
        print(f"  copied: {', '.join(copied)}")
    if kept:
        print(f"  kept your own (not overwritten): {', '.join(kept)}")
    print(f"Open it with:            {shell.script('jupyter')} lab {shlex.quote(str(folder))}\n"
          f"Check before you submit: {shell.python()} -c \"import dl4cv.submit as s; "
          f"s.check('{folder / 'knn.ipynb'}')\"   (any notebook of the folder)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
