"""The real files of the shared data folder (``<repo>/../shared/data``), imported and loaded."""
import numpy as np
import pytest

from dl4cv import shell
from dl4cv.data import (DataProvenanceWarning, get_CIFAR10_data, load_CIFAR10,
                        load_imagenet_val, load_mnist, status)
from dl4cv.data.coco import SPECIAL_TOKENS, read_vocab
from dl4cv.data.importer import import_from
from dl4cv.data.install import member_problem
from dl4cv.data.provenance import read
from dl4cv.data.registry import REGISTRY
from dl4cv.env import check

pytestmark = pytest.mark.realdata


@pytest.fixture
def imported(shared_data, data_dir):
    """Everything the shared folder holds, imported into a private data directory."""
    results = {r.name: r for r in import_from(shared_data)}
    return results


def test_import_reports_what_the_shared_folder_holds(imported):
    assert {n: r.outcome for n, r in imported.items()} == {
        "cifar10": "imported", "mnist": "imported", "coco_captioning": "incomplete",
        "imagenet_val": "imported"}
    assert imported["cifar10"].message.startswith("real-partial")
    kinds = {n: s.kind for n, s in status().items()}
    assert kinds == {"cifar10": "real-partial", "mnist": "real", "coco_captioning": "missing",
                     "imagenet_val": "real"}


def test_mnist_loads_with_the_published_shapes(imported):
    X_train, y_train, X_test, y_test = load_mnist()
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert X_train.dtype == X_test.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
    counts = np.bincount(y_train, minlength=10)
    assert counts.min() > 5000 and counts.max() < 7000  # MNIST is roughly balanced
    assert 20 < X_train.mean() < 50  # dark background, bright strokes


def test_partial_cifar_loads_as_real_partial(imported):
    with pytest.warns(DataProvenanceWarning, match="PARTIAL"):
        X_train, y_train, X_test, y_test = load_CIFAR10(dtype=np.uint8)
    assert X_train.shape == (4656, 32, 32, 3) and X_test.shape == (1000, 32, 32, 3)
    assert y_train.shape == (4656,) and y_test.shape == (1000,)
    assert X_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert set(np.unique(y_train)) == set(range(10))
    counts = np.bincount(y_train, minlength=10)
    assert counts.min() > 400 and counts.max() < 550
    assert np.bincount(y_test, minlength=10).min() > 70
    record = read(status()["cifar10"].path)
    assert record["kind"] == "real-partial" and record["counts"]["num_train"] == 4656


def test_partial_cifar_split_shrinks_and_says_so(imported, capsys):
    with pytest.warns(DataProvenanceWarning):
        data = get_CIFAR10_data()
    line = capsys.readouterr().out
    assert "real-partial" in line and "4,656" in line
    n_train, n_val = len(data["X_train"]), len(data["X_val"])
    assert n_train + n_val == 4656 and n_val > 0
    assert data["X_train"].shape[1:] == (3, 32, 32) and data["X_train"].dtype == np.float32
    assert abs(float(data["X_train"].mean())) < 1e-3  # the mean image was subtracted


def test_imagenet_sample_is_verified_and_loads(imported):
    record = read(status()["imagenet_val"].path)
    assert record["kind"] == "real"
    assert record["files"]["imagenet_val_25.npz"]["sha256"] == REGISTRY["imagenet_val"].members[0].sha256
    X, y, class_names = load_imagenet_val()
    assert X.shape == (25, 224, 224, 3) and X.dtype == np.uint8 and y.shape == (25,)
    assert all(int(k) in class_names for k in y)
    X5, y5, _ = load_imagenet_val(num=5)
    np.testing.assert_array_equal(X5, X[:5])


def test_coco_vocabulary_file(shared_data):
    path = shared_data / "coco_captioning" / "coco2014_vocab.json"
    assert member_problem(REGISTRY["coco_captioning"].member("coco2014_vocab.json"), path) is None
    vocab = read_vocab(path)
    assert len(vocab["idx_to_word"]) == 1004
    assert vocab["word_to_idx"]["<NULL>"] == 0
    assert all(token in vocab["word_to_idx"] for token in SPECIAL_TOKENS)


def test_env_check_reports_partial_and_missing(imported, capsys):
    info = check()
    out = capsys.readouterr().out
    assert info["datasets"]["cifar10"] == "real-partial" and "PARTIAL" in out
    assert info["datasets"]["coco_captioning"] == "missing"
    assert info["fixes"]["coco_captioning"] == shell.module("dl4cv.data", "fetch", "coco_captioning")
