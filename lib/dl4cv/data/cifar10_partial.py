"""Import the real but PARTIAL CIFAR-10 repackaging (``cifar10_partial_exact.npz``).

The npz (from the course's shared data folder) holds exact pixels of the first rows of each
original batch and every label: keys ``<batch>_labels`` (10000,) and
``<batch>_data_first<K>`` (K, 3072) for ``data_batch_1..5`` and ``test_batch``. We write the
standard batch files with only the K rows that exist (and their labels), copy the original
``batches.meta``, and record the set as ``real-partial``. There is no published checksum for
the npz; its sha256 is recorded in the provenance file.
"""
import re
from pathlib import Path

import numpy as np

from dl4cv.data import cifar10 as fmt
from dl4cv.data import provenance
from dl4cv.data.checksums import file_digest
from dl4cv.data.errors import DatasetCorruptError
from dl4cv.data.install import member_problem
from dl4cv.data.registry import CIFAR10

NPZ = "cifar10_partial_exact.npz"


def _rows_of(npz, batch):
    keys = [k for k in npz.files if re.fullmatch(rf"{batch}_data_first\d+", k)]
    if len(keys) != 1 or f"{batch}_labels" not in npz.files:
        raise DatasetCorruptError(f"{NPZ} lacks {batch}_data_first<K> / {batch}_labels")
    rows = np.asarray(npz[keys[0]], dtype=np.uint8)
    labels = np.asarray(npz[f"{batch}_labels"])[:len(rows)]
    if rows.ndim != 2 or rows.shape[1] != 3072 or len(labels) != len(rows):
        raise DatasetCorruptError(f"{NPZ}: {keys[0]} has shape {rows.shape}, not (K, 3072)")
    return rows, labels


def install_partial(npz_path, meta_path, root=None):
    """Install the partial CIFAR-10 from ``npz_path`` and the original ``meta_path``.

    Returns the dataset directory.
    """
    npz_path, meta_path = Path(npz_path), Path(meta_path)
    meta = CIFAR10.member(fmt.META)
    if (problem := member_problem(meta, meta_path)) is not None:
        raise DatasetCorruptError(f"{meta_path} is not CIFAR-10's original batches.meta: {problem}")
    counts = {}
    with provenance.staging("cifar10", root) as tmp:
        folder = tmp / fmt.BATCHES_DIR
        folder.mkdir()
        with np.load(npz_path) as npz:
            for batch in fmt.TRAIN_BATCHES + (fmt.TEST_BATCH,):
                rows, labels = _rows_of(npz, batch)
                counts[batch] = len(rows)
                fmt.write_batch(folder / batch, rows, labels,
                                f"{batch}: first {len(rows)} of {fmt.ROWS_PER_BATCH} rows (real-partial)")
        (folder / fmt.META).write_bytes(meta_path.read_bytes())
        num_train = sum(counts[b] for b in fmt.TRAIN_BATCHES)
        provenance.write(
            tmp, "cifar10", "real-partial", source=npz_path,
            notes=f"{num_train:,} of 50,000 training and {counts[fmt.TEST_BATCH]:,} of 10,000 "
                  f"test images, exact pixels",
            counts={"num_train": num_train, "num_test": counts[fmt.TEST_BATCH], "rows": counts},
            source_files={npz_path.name: file_digest(npz_path), meta_path.name: file_digest(meta_path)})
    return provenance.dataset_dir("cifar10", root)
