"""CS231n's 25-image ImageNet validation sample and its loader.

On disk: ``<data_dir>/imagenet_val/imagenet_val_25.npz`` with X (25, 224, 224, 3) uint8,
y (25,) int64 and label_map, a 0-d object array holding {class index: class name}.
"""
from pathlib import Path

import numpy as np

from dl4cv.data import provenance
from dl4cv.data.errors import DatasetCorruptError, fix_commands, not_installed

FILE = "imagenet_val_25.npz"


def load_imagenet_val(num=None, root=None):
    """Load the ImageNet validation sample.

    num: keep the first ``num`` images (default: all 25).
    root: the folder holding imagenet_val_25.npz (default: the installed dataset).
    Returns X (num, 224, 224, 3) uint8, y (num,) int, class_names {index: name}.
    """
    root = provenance.dataset_dir("imagenet_val") if root is None else Path(root)
    path = root / FILE
    if not path.is_file():
        raise not_installed("imagenet_val", f"The ImageNet sample is not installed: {path} is missing")
    provenance.announce(root, "ImageNet sample")
    try:
        with np.load(path, allow_pickle=True) as f:
            X, y, class_names = f["X"], f["y"], f["label_map"].item()
    except (OSError, ValueError, KeyError) as e:
        raise DatasetCorruptError(f"{path} is not the ImageNet sample ({e}). Reinstall:\n"
                                  f"{fix_commands('imagenet_val')}") from None
    if num is not None:
        X, y = X[:num], y[:num]
    return X, y, class_names
