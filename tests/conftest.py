"""Shared fixtures (data-oriented): a private data directory, small synthetic datasets, the
real shared data folder, and registry entries describing files made by a test."""
import dataclasses
import warnings
from pathlib import Path

import pytest

from dl4cv.data.checksums import file_digest
from dl4cv.data.registry import REGISTRY

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty DL4CV_DATA_DIR for this test (never the user's cache); smoke mode off."""
    folder = tmp_path / "dl4cv-data"
    monkeypatch.setenv("DL4CV_DATA_DIR", str(folder))
    monkeypatch.delenv("DL4CV_SMOKE", raising=False)
    return folder


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """A data directory holding small synthetic versions of every dataset (read-only use)."""
    from dl4cv.data.synthetic import generate

    root = tmp_path_factory.mktemp("synthetic-data")
    generate("cifar10", root, num_train=600, num_test=200)
    generate("mnist", root, num_train=300, num_test=100)
    generate("coco_captioning", root, num_train_images=60, num_val_images=20)
    generate("imagenet_val", root)
    return root


@pytest.fixture
def shared_data():
    """The real dataset mirror ``<repo>/../shared/data``; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (it sits beside the repository "
                    f"in CI; users never need it)")
    return SHARED_DATA


@pytest.fixture
def registry_describing(monkeypatch):
    """``registry_describing(name, folder)``: make the registry's members of dataset ``name``
    carry the size and sha256 of the files in ``folder`` (files a test made), for this test.

    Returns the replacement Dataset.
    """
    def describe(name, folder):
        dataset = REGISTRY[name]
        members = tuple(
            dataclasses.replace(m, size=(folder / m.path).stat().st_size,
                                sha256=file_digest(folder / m.path), md5=None)
            for m in dataset.members if (folder / m.path).is_file())
        new = dataclasses.replace(dataset, members=members)
        monkeypatch.setitem(REGISTRY, name, new)
        return new

    return describe


@pytest.fixture
def quiet_provenance():
    """Silence the synthetic/partial data warnings inside the test."""
    from dl4cv.data.errors import DataProvenanceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataProvenanceWarning)
        yield


@pytest.fixture
def coco_zip(synthetic_root, registry_describing):
    """``coco_zip(path, tamper=False)``: write a coco_captioning.zip of the synthetic members
    (laid out as CS231n's zip; with ``tamper`` the vocabulary gains a byte) and make the
    registry describe the untouched members. Returns ``path``."""
    import zipfile

    members = synthetic_root / "coco_captioning"
    dataset = registry_describing("coco_captioning", members)

    def write(path, tamper=False):
        with zipfile.ZipFile(path, "w") as zf:
            for m in dataset.members:
                data = (members / m.path).read_bytes()
                zf.writestr(f"coco_captioning/{m.path}",
                            data + b"x" if tamper and m.path.endswith(".json") else data)
        return path

    return write
