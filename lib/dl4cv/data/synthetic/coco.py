"""Synthetic COCO captioning in CS231n's h5/json format.

Each synthetic "image" is a scene: one or two objects of a kind and colour, doing something,
somewhere. Its captions come from a small grammar (several phrasings per scene; now and then a
colour word outside the vocabulary, encoded as ``<UNK>``), and its 512-d "features" are a
fixed random linear function of the scene's one-hot content plus noise, so a captioning model
can learn to name what the features encode. There are no pictures: the URLs are placeholders
on the reserved ``.invalid`` domain.
"""
import json

import numpy as np

from dl4cv.data import coco as fmt

OBJECTS = (("dog", "dogs", "animal"), ("cat", "cats", "animal"), ("horse", "horses", "animal"),
           ("bird", "birds", "animal"), ("car", "cars", "vehicle"), ("bus", "buses", "vehicle"),
           ("boat", "boats", "vehicle"), ("man", "men", "person"), ("woman", "women", "person"))
COLOURS = ("red", "blue", "green", "white", "black", "brown", "yellow")
RARE_COLOURS = ("crimson", "azure", "emerald")  # not in the vocabulary: become <UNK>
PLACES = ("on the grass", "on the street", "in the water", "on the beach", "in a room",
          "next to a tree")
ACTIONS = {"animal": ("standing", "sitting", "running"), "vehicle": ("parked", "moving"),
           "person": ("standing", "walking", "sitting")}
ALL_ACTIONS = tuple(sorted({a for acts in ACTIONS.values() for a in acts}))
FEATURE_DIM = 512
MAX_LENGTH = 17


def _templates(noun, colour, action, place, two):
    det, be = ("two", "are") if two else ("a", "is")
    return (f"{det} {colour} {noun} {action} {place}",
            f"{det} {noun} that {be} {colour} {place}",
            f"there {be} {det} {colour} {noun} {place}",
            f"{det} {noun} {action} {place}",
            f"a photo of {det} {colour} {noun}")


def vocabulary():
    """The synthetic vocabulary: special tokens first (``<NULL>`` = 0), then sorted words."""
    words = set()
    for single, plural, kind in OBJECTS:
        for two, noun in ((False, single), (True, plural)):
            for action in ACTIONS[kind]:
                for place in PLACES:
                    for text in _templates(noun, COLOURS[0], action, place, two):
                        words.update(text.split())
    words.update(COLOURS)
    idx_to_word = list(fmt.SPECIAL_TOKENS) + sorted(words)
    return {"idx_to_word": idx_to_word, "word_to_idx": {w: i for i, w in enumerate(idx_to_word)}}


def _scenes(n, rng):
    """-> scene tuples (object, colour, action, place, two) and their one-hot content (n, C)."""
    obj = rng.integers(len(OBJECTS), size=n)
    colour = rng.integers(len(COLOURS), size=n)
    place = rng.integers(len(PLACES), size=n)
    two = rng.random(n) < 0.3
    actions = [ACTIONS[OBJECTS[o][2]][rng.integers(len(ACTIONS[OBJECTS[o][2]]))] for o in obj]
    content = np.zeros((n, len(OBJECTS) + len(COLOURS) + len(PLACES) + len(ALL_ACTIONS) + 1),
                       np.float32)
    rows = np.arange(n)
    content[rows, obj] = 1
    content[rows, len(OBJECTS) + colour] = 1
    content[rows, len(OBJECTS) + len(COLOURS) + place] = 1
    offset = len(OBJECTS) + len(COLOURS) + len(PLACES)
    content[rows, [offset + ALL_ACTIONS.index(a) for a in actions]] = 1
    content[rows, -1] = two
    return list(zip(obj, colour, actions, place, two)), content


def _encode(text, word_to_idx):
    words = ["<START>"] + text.split()[:MAX_LENGTH - 2] + ["<END>"]
    row = np.zeros(MAX_LENGTH, np.int32)  # <NULL> padding
    row[:len(words)] = [word_to_idx.get(w, word_to_idx["<UNK>"]) for w in words]
    return row


def _split(n_images, captions_per_image, rng, projection, word_to_idx):
    scenes, content = _scenes(n_images, rng)
    features = content @ projection + 0.3 * rng.standard_normal((n_images, FEATURE_DIM))
    captions, image_idxs = [], []
    for i, (obj, colour, action, place, two) in enumerate(scenes):
        noun = OBJECTS[obj][1 if two else 0]
        texts = _templates(noun, COLOURS[colour], action, PLACES[place], two)
        for k in rng.permutation(len(texts))[:captions_per_image]:
            text = texts[k]
            if rng.random() < 0.05:
                text = text.replace(COLOURS[colour], RARE_COLOURS[rng.integers(len(RARE_COLOURS))])
            captions.append(_encode(text, word_to_idx))
            image_idxs.append(i)
    return np.array(captions), np.array(image_idxs, np.int32), features.astype(np.float32)


def generate(folder, rng, num_train_images=2_000, num_val_images=500, captions_per_image=5):
    """Write the COCO captioning files (PCA-feature variant only) into ``folder``.

    Returns the number of images and captions per split.
    """
    import h5py

    vocab = vocabulary()
    num_content = len(OBJECTS) + len(COLOURS) + len(PLACES) + len(ALL_ACTIONS) + 1
    projection = rng.standard_normal((num_content, FEATURE_DIM)).astype(np.float32)
    counts = {}
    with h5py.File(folder / fmt.CAPTIONS, "w") as captions_file:
        for split, n_images in (("train", num_train_images), ("val", num_val_images)):
            captions, image_idxs, features = _split(n_images, min(captions_per_image, 5), rng,
                                                    projection, vocab["word_to_idx"])
            captions_file.create_dataset(f"{split}_captions", data=captions)
            captions_file.create_dataset(f"{split}_image_idxs", data=image_idxs)
            with h5py.File(folder / fmt.feature_file(split), "w") as f:
                f.create_dataset("features", data=features)
            urls = [f"https://dl4cv-synthetic.invalid/{split}2014/{i:06d}.jpg"
                    for i in range(n_images)]
            (folder / fmt.url_file(split)).write_text("\n".join(urls) + "\n")
            counts[f"num_{split}_images"], counts[f"num_{split}_captions"] = n_images, len(captions)
    (folder / fmt.VOCAB).write_text(json.dumps(vocab))
    return counts
