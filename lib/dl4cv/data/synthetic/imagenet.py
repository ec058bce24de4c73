"""Synthetic stand-in for CS231n's 25 ImageNet images: 224x224 shape pictures with a label map.

The images are synthetic CIFAR-style shape scenes drawn at 224x224; ``y`` holds indices into
a 1000-entry label map whose used entries name the shape and say they are synthetic.
"""
import numpy as np

from dl4cv.data.imagenet import FILE
from dl4cv.data.synthetic.cifar10 import draw
from dl4cv.data.synthetic.shapes import SHAPE_NAMES

NUM_IMAGES = 25
NUM_CLASSES = 1000


def generate(folder, rng, num_images=NUM_IMAGES):
    """Write ``imagenet_val_25.npz`` (X (num, 224, 224, 3) uint8, y, label_map) into ``folder``."""
    shapes = rng.integers(len(SHAPE_NAMES), size=num_images)
    X = draw(shapes, rng, size=224)
    class_of_shape = rng.choice(NUM_CLASSES, len(SHAPE_NAMES), replace=False)
    label_map = {k: f"synthetic class {k}" for k in range(NUM_CLASSES)}
    for shape, k in enumerate(class_of_shape):
        label_map[int(k)] = f"synthetic {SHAPE_NAMES[shape]}"
    y = class_of_shape[shapes].astype(np.int64)
    np.savez(folder / FILE, X=X, y=y, label_map=np.array(label_map, dtype=object))
    return {"num_images": num_images}
