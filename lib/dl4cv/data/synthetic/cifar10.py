"""Synthetic CIFAR-10: 32x32 colour images of ten shape classes, in CIFAR's batch format.

Class k is the shape ``shapes.SHAPES[k]`` (disk, square, triangle, ring, plus, cross, diamond,
horizontal stripes, vertical stripes, checker) drawn at a jittered position and size over a
random two-colour gradient, with a smaller distractor shape of another class and pixel noise.
The shape's colour leans towards a class colour only half of the time, so a linear classifier
learns part of the task (well above chance, far from perfect) while a CNN, which can see
shapes wherever they are, can learn more.
"""
import numpy as np

from dl4cv.data import cifar10 as fmt
from dl4cv.data.synthetic.shapes import SHAPES, SHAPE_NAMES

#: Label names written to ``batches.meta`` (CIFAR's count of 10 classes, our shapes).
LABEL_NAMES = tuple(f"synthetic-{name}" for name in SHAPE_NAMES)
_CLASS_COLOURS = np.array([
    [0.9, 0.2, 0.2], [0.2, 0.8, 0.2], [0.2, 0.3, 0.9], [0.9, 0.9, 0.2], [0.9, 0.3, 0.9],
    [0.2, 0.9, 0.9], [0.9, 0.6, 0.1], [0.5, 0.2, 0.7], [0.6, 0.6, 0.6], [0.1, 0.1, 0.1]])


def draw(labels, rng, size=32):
    """Images (n, size, size, 3) uint8 of the classes ``labels`` (n,)."""
    labels = np.asarray(labels)
    n = len(labels)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi, (n, 1, 1)).astype(np.float32)
    t = ((np.cos(angle) * (xx - size / 2) + np.sin(angle) * (yy - size / 2)) / size + 0.5)
    low, high = rng.uniform(0, 1, (2, n, 1, 1, 3)).astype(np.float32)
    images = low + (high - low) * t[..., None]

    def paint(classes, scale, jitter, colours):
        cy, cx = size / 2 + rng.uniform(-jitter, jitter, (2, n, 1, 1)).astype(np.float32)
        r = scale * rng.uniform(0.8, 1.2, (n, 1, 1)).astype(np.float32)
        mask = np.zeros((n, size, size), np.float32)
        for k, shape in enumerate(SHAPES):
            rows = classes == k
            if rows.any():
                mask[rows] = shape(yy - cy[rows], xx - cx[rows], r[rows])
        mask = mask[..., None]
        return images * (1 - mask) + colours[:, None, None, :].astype(np.float32) * mask

    distractors = (labels + rng.integers(1, 10, n)) % 10
    images = paint(distractors, size * 0.12, size * 0.35, rng.uniform(0, 1, (n, 3)))
    leaning = rng.random(n) < 0.5
    colours = np.where(leaning[:, None],
                       0.7 * _CLASS_COLOURS[labels] + 0.3 * rng.uniform(0, 1, (n, 3)),
                       rng.uniform(0, 1, (n, 3)))
    images = paint(labels, size * 0.25, size * 0.18, colours)
    images += 0.06 * rng.standard_normal(images.shape, dtype=np.float32)
    return (np.clip(images, 0, 1) * 255 + 0.5).astype(np.uint8)


def generate(folder, rng, num_train=10_000, num_test=2_000):
    """Write the batch files and ``batches.meta`` into ``folder`` (a cifar-10-batches-py).

    num_train: rows over the five training batches (split as evenly as possible).
    num_test: rows of ``test_batch``. Classes are balanced and shuffled.
    Returns {"num_train": ..., "num_test": ...}.
    """
    per_batch = np.array_split(np.arange(num_train), len(fmt.TRAIN_BATCHES))
    for i, (name, rows) in enumerate(zip(fmt.TRAIN_BATCHES, per_batch)):
        _write(folder / name, len(rows), rng, f"synthetic training batch {i + 1} of 5")
    _write(folder / fmt.TEST_BATCH, num_test, rng, "synthetic testing batch 1 of 1")
    fmt.write_meta(folder / fmt.META, LABEL_NAMES)
    return {"num_train": num_train, "num_test": num_test}


def _write(path, count, rng, batch_label):
    labels = rng.permutation(np.arange(count) % 10)
    rows = fmt.images_to_rows(draw(labels, rng))
    names = [f"synthetic_{path.name}_{i:05d}.png" for i in range(count)]
    fmt.write_batch(path, rows, labels, batch_label, names)
