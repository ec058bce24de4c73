"""Synthetic stand-ins: same formats as the real files, labelled, deterministic, learnable."""
import json

import numpy as np
import pytest

from dl4cv.data import (DataProvenanceWarning, DatasetExistsError, decode_captions,
                        load_CIFAR10, load_coco_data, load_imagenet_val, load_mnist)
from dl4cv.data.cifar10 import read_label_names
from dl4cv.data.provenance import PROVENANCE_FILE, read
from dl4cv.data.synthetic import generate


def test_every_stand_in_loads_through_the_real_loaders_and_warns(synthetic_root):
    with pytest.warns(DataProvenanceWarning, match="SYNTHETIC"):
        X_train, y_train, X_test, y_test = load_CIFAR10(synthetic_root / "cifar10")
    assert X_train.shape == (600, 32, 32, 3) and X_test.shape == (200, 32, 32, 3)
    assert np.bincount(y_train).tolist() == [60] * 10
    assert len(read_label_names(synthetic_root / "cifar10")) == 10
    with pytest.warns(DataProvenanceWarning, match="SYNTHETIC"):
        X_train, y_train, X_test, y_test = load_mnist(synthetic_root / "mnist")
    assert X_train.shape == (300, 28, 28) and X_train.dtype == np.uint8
    assert set(np.unique(y_test)) == set(range(10))
    with pytest.warns(DataProvenanceWarning, match="SYNTHETIC"):
        data = load_coco_data(synthetic_root / "coco_captioning")
    assert data["train_features"].shape == (60, 512) and data["train_features"].dtype == np.float32
    assert data["train_captions"].shape[1] == 17 and data["train_captions"].dtype == np.int32
    assert data["train_image_idxs"].max() < 60 and len(data["train_urls"]) == 60
    assert data["idx_to_word"][0] == "<NULL>"
    with pytest.warns(DataProvenanceWarning, match="SYNTHETIC"):
        X, y, class_names = load_imagenet_val(root=synthetic_root / "imagenet_val")
    assert X.shape == (25, 224, 224, 3) and X.dtype == np.uint8
    assert all("synthetic" in class_names[int(k)] for k in y)


def test_provenance_says_synthetic(synthetic_root):
    for name in ("cifar10", "mnist", "coco_captioning", "imagenet_val"):
        record = json.loads((synthetic_root / name / PROVENANCE_FILE).read_text())
        assert record["kind"] == "synthetic" and "SYNTHETIC" in record["notes"]
        assert record["files"]  # every file listed with its checksum


def test_generation_is_deterministic_for_a_seed(tmp_path, synthetic_root):
    generate("mnist", tmp_path, num_train=300, num_test=100)
    again, before = read(tmp_path / "mnist"), read(synthetic_root / "mnist")
    assert again["files"] == before["files"]
    generate("mnist", tmp_path, seed=1, num_train=300, num_test=100)
    assert read(tmp_path / "mnist")["files"] != before["files"]


def test_synthetic_never_replaces_real_data_silently(tmp_path, synthetic_root):
    from dl4cv.data import provenance

    generate("imagenet_val", tmp_path)
    folder = tmp_path / "imagenet_val"
    provenance.write(folder, "imagenet_val", "real", source="test")
    with pytest.raises(DatasetExistsError, match="--force"):
        generate("imagenet_val", tmp_path)
    generate("imagenet_val", tmp_path, force=True)
    assert read(folder)["kind"] == "synthetic"


def test_captions_decode_to_grammar_sentences(synthetic_root, quiet_provenance):
    data = load_coco_data(synthetic_root / "coco_captioning")
    texts = decode_captions(data["train_captions"][:20], data["idx_to_word"])
    assert all(t.startswith("<START> ") and t.endswith(" <END>") for t in texts)
    assert all("<NULL>" not in t for t in texts)


def test_caption_features_encode_the_scene(synthetic_root, quiet_provenance):
    """Images whose captions share the object word have closer features than others."""
    data = load_coco_data(synthetic_root / "coco_captioning")
    words = data["idx_to_word"]
    first_noun = {}
    for caption, image in zip(data["train_captions"], data["train_image_idxs"]):
        text = [words[i] for i in caption]
        for noun in ("dog", "cat", "car", "bus", "man", "woman", "horse", "bird", "boat"):
            if noun in text or noun + "s" in text:
                first_noun.setdefault(int(image), noun)
    images = sorted(first_noun)
    F = data["train_features"][images]
    F = F / np.linalg.norm(F, axis=1, keepdims=True)
    similar = F @ F.T
    same = np.array([[first_noun[a] == first_noun[b] for b in images] for a in images])
    np.fill_diagonal(same, False)
    different = ~same
    np.fill_diagonal(different, False)
    assert similar[same].mean() > similar[different].mean() + 0.1


def _softmax_accuracy(X_train, y_train, X_test, y_test, steps=150, lr=0.5, reg=1e-3):
    """Plain full-batch softmax regression on flattened pixels; test accuracy."""
    A = X_train.reshape(len(X_train), -1).astype(np.float32) / 255
    B = X_test.reshape(len(X_test), -1).astype(np.float32) / 255
    mean = A.mean(axis=0)
    A, B = A - mean, B - mean
    W = np.zeros((A.shape[1], 10), np.float32)
    b = np.zeros(10, np.float32)
    rows = np.arange(len(A))
    for _ in range(steps):
        scores = A @ W + b
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        p[rows, y_train] -= 1
        W -= lr * (A.T @ p / len(A) + reg * W)
        b -= lr * p.mean(axis=0)
    return float(((B @ W + b).argmax(axis=1) == y_test).mean())


def test_a_linear_model_learns_synthetic_cifar_partly(tmp_path, quiet_provenance):
    generate("cifar10", tmp_path, num_train=2000, num_test=500)
    X_train, y_train, X_test, y_test = load_CIFAR10(tmp_path / "cifar10", dtype=np.uint8)
    accuracy = _softmax_accuracy(X_train, y_train, X_test, y_test)
    assert 0.2 < accuracy < 0.7, accuracy  # clearly above chance (0.1), well below perfect


def test_a_linear_model_learns_synthetic_mnist(tmp_path, quiet_provenance):
    generate("mnist", tmp_path, num_train=1000, num_test=300)
    X_train, y_train, X_test, y_test = load_mnist(tmp_path / "mnist")
    assert _softmax_accuracy(X_train, y_train, X_test, y_test) > 0.5
