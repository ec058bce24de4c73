"""Re-check installed datasets: files unchanged since install, registry checksums, formats."""
import warnings

from dl4cv import shell
from dl4cv.data import provenance
from dl4cv.data.checksums import file_digest
from dl4cv.data.errors import DataError
from dl4cv.data.install import member_problem
from dl4cv.data.registry import get
from dl4cv.data.status import dataset_status


def _load(name, directory):
    """Read the dataset through its loader (the format check)."""
    from dl4cv.data import cifar10, coco, imagenet, mnist

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "cifar10":
            cifar10.load_CIFAR10(directory, dtype="uint8")
        elif name == "mnist":
            mnist.load_mnist(directory)
        elif name == "coco_captioning":
            coco.load_coco_data(directory)
        else:
            imagenet.load_imagenet_val(root=directory)


def verify(name, root=None):
    """Problems found in the installed dataset ``name`` (an empty list: all good).

    A dataset without a provenance record (files copied in by hand) whose members all match
    the registry is adopted: it gets a ``real`` record.
    """
    dataset = get(name)
    state = dataset_status(name, root)
    if not state.present:
        missing = f" (lacks {', '.join(state.missing_files)})" if state.missing_files else ""
        return [f"{name} is {state.kind}{missing}: run {shell.module('dl4cv.data', 'fetch', name)}"]
    directory = provenance.dataset_dir(name, root)
    problems = []
    record = provenance.read(directory)
    if record is not None:
        for rel, expected in record["files"].items():
            path = directory / rel
            if not path.is_file():
                problems.append(f"{rel} was removed since it was installed")
            elif file_digest(path) != expected["sha256"]:
                problems.append(f"{rel} changed since it was installed (sha256 differs)")
    if record is None or record["kind"] == "real":
        for member in dataset.members:
            path = directory / member.path
            if path.is_file() and (problem := member_problem(member, path)) is not None:
                problems.append(problem)
    try:
        _load(name, directory)
    except DataError as error:
        problems.append(f"the loader cannot read it: {error}")
    if problems:
        problems.append(f"reinstall: {shell.module('dl4cv.data', 'fetch', '--force', name)}")
    elif record is None:
        provenance.write(directory, name, "real", source="files found in place, verified by "
                         "the registry's checksums", notes=dataset.notes)
    return problems
