"""Loader semantics (CS231n's splits and helpers) and errors that name the fixing command."""
import numpy as np
import pytest

from dl4cv.data import (DatasetCorruptError, DatasetMissingError, decode_captions,
                        get_CIFAR10_data, load_CIFAR10, load_coco_data, load_imagenet_val,
                        load_mnist, sample_coco_minibatch)
from dl4cv.data.cifar10 import BATCHES_DIR


@pytest.mark.parametrize("loader, name", [
    (load_CIFAR10, "cifar10"), (get_CIFAR10_data, "cifar10"), (load_mnist, "mnist"),
    (load_coco_data, "coco_captioning"), (load_imagenet_val, "imagenet_val")])
def test_missing_data_names_the_commands_that_fix_it(data_dir, loader, name):
    with pytest.raises(DatasetMissingError) as info:
        loader()
    assert isinstance(info.value, FileNotFoundError)
    message = str(info.value)
    for command in (f"python -m dl4cv.data fetch {name}",
                    f"python -m dl4cv.data import --from DIR {name}",
                    f"python -m dl4cv.data synthetic {name}"):
        assert command in message


def test_a_damaged_batch_file_is_a_clear_error(tmp_path, synthetic_root, quiet_provenance):
    import shutil

    shutil.copytree(synthetic_root / "cifar10", tmp_path / "cifar10")
    (tmp_path / "cifar10" / BATCHES_DIR / "data_batch_2").write_bytes(b"<html>gone</html>")
    with pytest.raises(DatasetCorruptError, match="(?s)data_batch_2.*fetch cifar10") as info:
        load_CIFAR10(tmp_path / "cifar10")
    assert isinstance(info.value, ValueError)


def test_load_cifar10_accepts_the_batches_folder_itself(synthetic_root, quiet_provenance):
    a = load_CIFAR10(synthetic_root / "cifar10", dtype=np.uint8)
    b = load_CIFAR10(synthetic_root / "cifar10" / BATCHES_DIR, dtype=np.uint8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert a[0].dtype == np.uint8 and load_CIFAR10(synthetic_root / "cifar10")[0].dtype == np.float64


def test_split_follows_cs231n(synthetic_root, quiet_provenance):
    X_train, y_train, X_test, y_test = load_CIFAR10(synthetic_root / "cifar10", dtype=np.float32)
    data = get_CIFAR10_data(num_training=400, num_validation=100, num_test=50, num_dev=30,
                            subtract_mean=False, channels_first=False, root=synthetic_root / "cifar10")
    np.testing.assert_array_equal(data["X_train"], X_train[:400])
    np.testing.assert_array_equal(data["X_val"], X_train[400:500])
    np.testing.assert_array_equal(data["y_val"], y_train[400:500])
    np.testing.assert_array_equal(data["X_test"], X_test[:50])
    assert data["X_dev"].shape == (30, 32, 32, 3) and data["X_train"].dtype == np.float32
    dev_rows = {x.tobytes() for x in data["X_dev"]}
    assert dev_rows <= {x.tobytes() for x in data["X_train"]}


def test_split_channels_first_and_mean_subtracted(synthetic_root, quiet_provenance, capsys):
    data = get_CIFAR10_data(num_training=400, num_validation=100, num_test=50, num_dev=0,
                            root=synthetic_root / "cifar10")
    assert capsys.readouterr().out == ""  # nothing shrunk, nothing to say
    assert data["X_train"].shape == (400, 3, 32, 32) and "X_dev" not in data
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-3)
    assert abs(float(data["X_val"].mean())) < 10  # same mean image removed from every split


def test_a_small_set_shrinks_the_split_and_says_so_once(synthetic_root, quiet_provenance, capsys):
    data = get_CIFAR10_data(root=synthetic_root / "cifar10")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "synthetic" in lines[0] and "600" in lines[0]
    assert len(data["X_train"]) + len(data["X_val"]) == 600
    assert 0 < len(data["X_val"]) < len(data["X_train"])
    assert len(data["X_test"]) == 200 and len(data["X_dev"]) <= len(data["X_train"])


def test_smoke_mode_uses_small_sizes(synthetic_root, quiet_provenance, monkeypatch, capsys):
    monkeypatch.setenv("DL4CV_SMOKE", "1")
    data = get_CIFAR10_data(num_training=500, num_validation=100, root=synthetic_root / "cifar10")
    assert "smoke mode" in capsys.readouterr().out
    assert len(data["X_test"]) <= 200 and len(data["X_dev"]) <= 100


def test_decode_captions_stops_at_end_and_drops_null():
    idx_to_word = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat"]
    captions = np.array([[1, 4, 5, 2, 0, 0], [1, 4, 3, 2, 5, 5]])
    assert decode_captions(captions, idx_to_word) == ["<START> a cat <END>", "<START> a <UNK> <END>"]
    assert decode_captions(captions[0], idx_to_word) == "<START> a cat <END>"


def test_minibatch_pairs_captions_with_their_images(synthetic_root, quiet_provenance):
    data = load_coco_data(synthetic_root / "coco_captioning")
    captions, features, urls = sample_coco_minibatch(data, batch_size=16, split="val",
                                                     rng=np.random.default_rng(0))
    assert captions.shape == (16, 17) and features.shape == (16, 512) and urls.shape == (16,)
    for caption, feature, url in zip(captions, features, urls):
        rows = np.flatnonzero((data["val_captions"] == caption).all(axis=1))
        images = data["val_image_idxs"][rows]
        assert any(np.array_equal(data["val_features"][i], feature) and data["val_urls"][i] == url
                   for i in images)
    with pytest.raises(ValueError, match="split"):
        sample_coco_minibatch(data, split="test")


def test_max_train_subsamples_training_captions(synthetic_root, quiet_provenance):
    data = load_coco_data(synthetic_root / "coco_captioning", max_train=7, rng=np.random.default_rng(0))
    assert data["train_captions"].shape == (7, 17) and data["train_image_idxs"].shape == (7,)


def test_full_fc7_features_absent_from_synthetic_set_is_explained(synthetic_root):
    with pytest.raises(DatasetMissingError, match="pca_features=True"):
        load_coco_data(synthetic_root / "coco_captioning", pca_features=False)
