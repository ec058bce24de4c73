"""import --from DIR: original archives and extracted files, verified, never trusted blindly."""
import dataclasses
import shutil
import tarfile

import numpy as np
import pytest

from dl4cv.data import DatasetMissingError, load_CIFAR10, load_coco_data, load_mnist
from dl4cv.data.checksums import file_digest
from dl4cv.data.importer import import_from
from dl4cv.data.provenance import read
from dl4cv.data.registry import REGISTRY
from dl4cv.data.status import dataset_status


def _outcomes(results):
    return {r.name: r.outcome for r in results}


def test_cifar_tarball_is_extracted_and_verified(tmp_path, data_dir, synthetic_root,
                                                 registry_describing, monkeypatch, quiet_provenance):
    source = synthetic_root / "cifar10"
    registry_describing("cifar10", source)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with tarfile.open(mirror / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    archive = dataclasses.replace(REGISTRY["cifar10"].archives[0],
                                  size=(mirror / "cifar-10-python.tar.gz").stat().st_size,
                                  sha256=file_digest(mirror / "cifar-10-python.tar.gz"))
    monkeypatch.setitem(REGISTRY, "cifar10", dataclasses.replace(REGISTRY["cifar10"], archives=(archive,)))
    assert _outcomes(import_from(mirror, ["cifar10"])) == {"cifar10": "imported"}
    assert read(data_dir / "cifar10")["kind"] == "real"
    got, want = load_CIFAR10(dtype=np.uint8), load_CIFAR10(source, dtype=np.uint8)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert (mirror / "cifar-10-python.tar.gz").exists()  # the source folder is only read


def test_a_tampered_archive_is_refused_and_nothing_installed(tmp_path, data_dir, synthetic_root,
                                                             registry_describing):
    registry_describing("cifar10", synthetic_root / "cifar10")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "cifar-10-python.tar.gz").write_bytes(b"\x1f\x8b not really a tarball")
    results = import_from(mirror, ["cifar10"])
    assert _outcomes(results) == {"cifar10": "failed"}
    assert "cifar-10-python.tar.gz" in results[0].message
    assert dataset_status("cifar10").kind == "missing"


def test_extracted_cifar_batches_are_imported(tmp_path, data_dir, synthetic_root,
                                              registry_describing, quiet_provenance):
    registry_describing("cifar10", synthetic_root / "cifar10")
    mirror = tmp_path / "lab-mirror" / "datasets"
    shutil.copytree(synthetic_root / "cifar10" / "cifar-10-batches-py", mirror / "cifar-10-batches-py")
    assert _outcomes(import_from(tmp_path / "lab-mirror"))["cifar10"] == "imported"
    assert load_CIFAR10()[0].shape == (600, 32, 32, 3)


def test_a_changed_member_is_refused(tmp_path, data_dir, synthetic_root, registry_describing):
    registry_describing("cifar10", synthetic_root / "cifar10")
    mirror = tmp_path / "mirror"
    shutil.copytree(synthetic_root / "cifar10" / "cifar-10-batches-py", mirror)
    with open(mirror / "data_batch_3", "r+b") as f:
        f.seek(500)
        f.write(b"\0\0\0")
    results = import_from(mirror, ["cifar10"])
    assert results[0].outcome == "failed" and "data_batch_3" in results[0].message
    assert dataset_status("cifar10").kind == "missing"


def test_mnist_gz_files_and_coco_zip_are_imported(tmp_path, data_dir, synthetic_root,
                                                   registry_describing, coco_zip, quiet_provenance):
    registry_describing("mnist", synthetic_root / "mnist")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for m in REGISTRY["mnist"].members:
        shutil.copy(synthetic_root / "mnist" / m.path, mirror / m.path)
    coco_zip(mirror / "coco_captioning.zip")
    outcomes = _outcomes(import_from(mirror))
    assert outcomes["mnist"] == outcomes["coco_captioning"] == "imported"
    assert outcomes["cifar10"] == outcomes["imagenet_val"] == "not found"
    assert load_mnist()[0].shape == (300, 28, 28)
    assert load_coco_data()["val_captions"].shape[1] == 17


def test_an_incomplete_set_is_reported_not_installed(tmp_path, data_dir, synthetic_root,
                                                     registry_describing):
    registry_describing("coco_captioning", synthetic_root / "coco_captioning")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(synthetic_root / "coco_captioning" / "coco2014_vocab.json", mirror)
    result = import_from(mirror, ["coco_captioning"])[0]
    assert result.outcome == "incomplete" and "coco2014_captions.h5" in result.message
    assert dataset_status("coco_captioning").kind == "missing"


def test_real_data_is_not_replaced_unless_forced(tmp_path, data_dir, synthetic_root,
                                                 registry_describing):
    registry_describing("mnist", synthetic_root / "mnist")
    mirror = tmp_path / "mirror"
    shutil.copytree(synthetic_root / "mnist", mirror)
    assert _outcomes(import_from(mirror, ["mnist"])) == {"mnist": "imported"}
    assert _outcomes(import_from(mirror, ["mnist"])) == {"mnist": "kept"}
    assert _outcomes(import_from(mirror, ["mnist"], force=True)) == {"mnist": "imported"}


def test_a_missing_folder_names_the_problem(tmp_path, data_dir):
    with pytest.raises(DatasetMissingError, match="is not a folder"):
        import_from(tmp_path / "nowhere")


def test_an_html_page_named_like_a_data_file_is_refused(tmp_path, data_dir):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "imagenet_val_25.npz").write_bytes(b"<html><body>404</body></html>")
    result = import_from(mirror, ["imagenet_val"])[0]
    assert result.outcome == "failed" and "HTML page" in result.message
    assert dataset_status("imagenet_val").kind == "missing"

