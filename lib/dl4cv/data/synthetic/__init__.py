"""Synthetic stand-ins for every dataset, in exactly the on-disk formats of the real files.

Generated locally, deterministic for a seed, small and quick; the provenance record of the
dataset says ``synthetic`` and every loader warns about it. See each module for what the
data looks like and why a model can learn it.
"""
import numpy as np

from dl4cv import shell
from dl4cv.data import provenance
from dl4cv.data.cifar10 import BATCHES_DIR
from dl4cv.data.errors import DatasetExistsError
from dl4cv.data.registry import get
from dl4cv.data.synthetic import cifar10, coco, imagenet, mnist

_GENERATORS = {
    "cifar10": (cifar10.generate, BATCHES_DIR,
                "shape classes (disk, square, ...) standing in for CIFAR-10's classes"),
    "mnist": (mnist.generate, "", "digits rendered from strokes"),
    "coco_captioning": (coco.generate, "",
                        "captions from a small grammar; features are a noisy linear function "
                        "of the scene; PCA-feature files only; no images"),
    "imagenet_val": (imagenet.generate, "", "shape pictures with a placeholder label map"),
}


def generate(name, root=None, seed=0, force=False, **sizes):
    """Generate the synthetic stand-in of dataset ``name`` into its dataset directory.

    root: the data directory (default ``config.data_dir()``). sizes: the generator's size
    arguments (e.g. ``num_train=``, ``num_test=`` for cifar10 and mnist). A real or real-partial
    dataset already installed is kept unless ``force``. Returns the dataset directory.
    """
    get(name)
    target = provenance.dataset_dir(name, root)
    record = provenance.read(target) if target.is_dir() else None
    if record is not None and record["kind"] != "synthetic" and not force:
        raise DatasetExistsError(
            f"{target} holds {record['kind']} {name} data; not replacing it with a synthetic "
            f"stand-in (use: {shell.module('dl4cv.data', 'synthetic', '--force', name)})")
    make, subfolder, description = _GENERATORS[name]
    rng = np.random.default_rng(seed)
    with provenance.staging(name, root) as tmp:
        folder = tmp / subfolder
        folder.mkdir(exist_ok=True)
        counts = make(folder, rng, **sizes)
        provenance.write(tmp, name, "synthetic", source=f"dl4cv.data.synthetic (seed {seed})",
                         notes=f"SYNTHETIC stand-in: {description}", seed=seed, counts=counts)
    print(f"SYNTHETIC {name} written to {target} (a labelled stand-in, not the real data)")
    return target
