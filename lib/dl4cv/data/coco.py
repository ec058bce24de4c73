"""COCO captioning in CS231n's format, and its loader and helpers.

On disk (``<data_dir>/coco_captioning/``, as in CS231n's ``coco_captioning.zip``):

- ``coco2014_captions.h5``: train_captions (N, 17) int32 word indices (``<START>`` first,
  ``<END>`` last, ``<NULL>`` padding), train_image_idxs (N,) the image of each caption, and
  val_captions / val_image_idxs;
- ``coco2014_vocab.json``: idx_to_word (list) and word_to_idx (dict);
- ``{train,val}2014_vgg16_fc7_pca.h5``: ``features`` (num_images, 512) float32 (the full
  4096-d ``{train,val}2014_vgg16_fc7.h5`` are optional);
- ``{train,val}2014_urls.txt``: one image URL per line.
"""
import json
from pathlib import Path

import numpy as np

from dl4cv.data import provenance
from dl4cv.data.errors import DatasetCorruptError, not_installed

CAPTIONS = "coco2014_captions.h5"
VOCAB = "coco2014_vocab.json"
SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>", "<UNK>")


def feature_file(split, pca_features=True):
    """The feature file name of ``split`` ("train" or "val")."""
    return f"{split}2014_vgg16_fc7{'_pca' if pca_features else ''}.h5"


def url_file(split):
    """The URL list file name of ``split``."""
    return f"{split}2014_urls.txt"


def read_vocab(path):
    """-> {"idx_to_word": list, "word_to_idx": dict}, checked for consistency."""
    vocab = json.loads(Path(path).read_text())
    idx_to_word, word_to_idx = vocab.get("idx_to_word"), vocab.get("word_to_idx")
    if not isinstance(idx_to_word, list) or not isinstance(word_to_idx, dict):
        raise DatasetCorruptError(f"{path} lacks idx_to_word (list) and word_to_idx (dict)")
    if any(word_to_idx.get(w) != i for i, w in enumerate(idx_to_word)) or \
            len(word_to_idx) != len(idx_to_word):
        raise DatasetCorruptError(f"{path}: idx_to_word and word_to_idx disagree")
    if idx_to_word[:1] != ["<NULL>"] or not set(SPECIAL_TOKENS) <= set(word_to_idx):
        raise DatasetCorruptError(f"{path}: needs <NULL> at index 0 and {SPECIAL_TOKENS}")
    return {"idx_to_word": idx_to_word, "word_to_idx": word_to_idx}


def load_coco_data(base_dir=None, max_train=None, pca_features=True, rng=None):
    """Load COCO captioning as CS231n does.

    base_dir: the folder with the files (default: the installed dataset).
    max_train: keep this many training captions, sampled with replacement (as CS231n does).
    pca_features: the 512-d PCA features (True) or the full 4096-d fc7 features.
    rng: a ``numpy.random.Generator`` for the ``max_train`` sample (default: a fresh one).

    Returns a dict: train_captions (N, 17) int32, train_image_idxs (N,), val_captions,
    val_image_idxs, train_features (num_train_images, D) float32, val_features, idx_to_word,
    word_to_idx, train_urls (num_train_images,) str, val_urls.
    """
    import h5py

    base = provenance.dataset_dir("coco_captioning") if base_dir is None else Path(base_dir)
    names = [CAPTIONS, VOCAB] + [feature_file(s, pca_features) for s in ("train", "val")] + \
        [url_file(s) for s in ("train", "val")]
    missing = [n for n in names if not (base / n).is_file()]
    if missing:
        hint = "" if pca_features else (
            " (the 4096-d fc7 files are optional: use pca_features=True if the synthetic "
            "stand-in or a download without them is installed)")
        raise not_installed("coco_captioning", f"COCO captioning is incomplete: {base} lacks "
                                               f"{', '.join(missing)}{hint}")
    provenance.announce(base, "COCO captioning")
    data = {}
    with h5py.File(base / CAPTIONS, "r") as f:
        for key, value in f.items():
            data[key] = np.asarray(value)
    for split in ("train", "val"):
        with h5py.File(base / feature_file(split, pca_features), "r") as f:
            data[f"{split}_features"] = np.asarray(f["features"])
        lines = (base / url_file(split)).read_text().splitlines()
        data[f"{split}_urls"] = np.asarray([line.strip() for line in lines])
    data.update(read_vocab(base / VOCAB))
    if max_train is not None:
        rng = np.random.default_rng() if rng is None else rng
        keep = rng.integers(len(data["train_captions"]), size=max_train)
        data["train_captions"] = data["train_captions"][keep]
        data["train_image_idxs"] = data["train_image_idxs"][keep]
    return data


def decode_captions(captions, idx_to_word):
    """Word indices -> strings.

    captions: (N, T) or (T,) ints. Returns a list of N strings (one string for a (T,) input):
    the words up to and including ``<END>``, with ``<NULL>`` padding dropped.
    """
    captions = np.asarray(captions)
    rows = captions[None] if captions.ndim == 1 else captions
    decoded = []
    for row in rows:
        words = []
        for index in row:
            word = idx_to_word[int(index)]
            if word != "<NULL>":
                words.append(word)
            if word == "<END>":
                break
        decoded.append(" ".join(words))
    return decoded[0] if captions.ndim == 1 else decoded


def sample_coco_minibatch(data, batch_size=100, split="train", rng=None):
    """A random minibatch of ``split`` (drawn with replacement).

    Returns captions (batch_size, T) int32, image_features (batch_size, D), urls (batch_size,).
    """
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', not {split!r}")
    rng = np.random.default_rng() if rng is None else rng
    captions = data[f"{split}_captions"]
    pick = rng.choice(len(captions), batch_size)
    image_idxs = data[f"{split}_image_idxs"][pick]
    return captions[pick], data[f"{split}_features"][image_idxs], data[f"{split}_urls"][image_idxs]
