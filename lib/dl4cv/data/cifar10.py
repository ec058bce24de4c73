"""CIFAR-10: the python pickle batch format, and CS231n's loaders.

On disk (the original ``cifar-10-python.tar.gz`` layout)::

    <data_dir>/cifar10/cifar-10-batches-py/data_batch_1 ... data_batch_5, test_batch, batches.meta

Each batch is a pickled dict with ``data`` (N, 3072) uint8 (per image R(1024) G(1024) B(1024),
each channel row-major 32x32), ``labels`` (list of N ints in 0..9), ``batch_label`` and, in
the original files, ``filenames``. A real-partial or synthetic install has the same files,
with fewer rows.
"""
import pickle
from pathlib import Path

import numpy as np

from dl4cv import config
from dl4cv.data import provenance
from dl4cv.data.errors import DatasetCorruptError, fix_commands, not_installed

BATCHES_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
LABEL_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")
ROWS_PER_BATCH = 10_000
_TITLE = "CIFAR-10"
_SMOKE_SIZES = {"num_training": 1000, "num_validation": 200, "num_test": 200, "num_dev": 100}


def rows_to_images(rows):
    """(N, 3072) rows in CIFAR's channel-planar order -> (N, 32, 32, 3) images."""
    return rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def images_to_rows(X):
    """(N, 32, 32, 3) images -> (N, 3072) rows in CIFAR's channel-planar order (uint8)."""
    return np.ascontiguousarray(np.asarray(X, dtype=np.uint8).transpose(0, 3, 1, 2)).reshape(-1, 3072)


def write_batch(path, rows, labels, batch_label, filenames=None):
    """Write one batch file: rows (N, 3072) uint8, labels (N,) ints in 0..9."""
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    if rows.ndim != 2 or rows.shape[1] != 3072 or len(labels) != len(rows):
        raise ValueError(f"need rows (N, 3072) and N labels, got {rows.shape} and {len(labels)}")
    record = {"batch_label": batch_label, "labels": [int(v) for v in labels], "data": rows}
    if filenames is not None:
        record["filenames"] = list(filenames)
    with open(path, "wb") as f:
        pickle.dump(record, f, protocol=2)


def write_meta(path, label_names=LABEL_NAMES):
    """Write ``batches.meta`` (label names, rows per batch, values per image)."""
    with open(path, "wb") as f:
        pickle.dump({"label_names": list(label_names), "num_cases_per_batch": ROWS_PER_BATCH,
                     "num_vis": 3072}, f, protocol=2)


def _unpickle(path):
    try:
        with open(path, "rb") as f:
            return pickle.load(f, encoding="latin1")
    except FileNotFoundError:
        raise
    except Exception as e:  # any unpickling failure means a damaged file
        raise DatasetCorruptError(
            f"{path} is not a CIFAR-10 batch file ({type(e).__name__}: {e}). Reinstall:\n"
            f"{fix_commands('cifar10')}") from None


def read_batch(path):
    """-> rows (N, 3072) uint8, labels (N,) int64 from one batch file."""
    record = _unpickle(path)
    try:
        rows = np.asarray(record["data"], dtype=np.uint8)
        labels = np.asarray(record["labels"], dtype=np.int64)
    except (KeyError, TypeError):
        raise DatasetCorruptError(f"{path} lacks the 'data'/'labels' entries of a CIFAR-10 batch") from None
    if rows.ndim != 2 or rows.shape[1] != 3072 or labels.shape != (len(rows),):
        raise DatasetCorruptError(
            f"{path}: data {rows.shape} and labels {labels.shape} are not (N, 3072) and (N,)")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DatasetCorruptError(f"{path}: labels outside 0..9")
    return rows, labels


def read_label_names(root=None):
    """The 10 class names from ``batches.meta``."""
    return list(_unpickle(batches_dir(root) / META)["label_names"])


def batches_dir(root=None):
    """The ``cifar-10-batches-py`` folder: ``root`` itself, or the one inside ``root``.

    root: None (the installed dataset in ``config.data_dir()``), the dataset directory, or the
    batches folder itself (CS231n's ``cifar10_dir``).
    """
    root = provenance.dataset_dir("cifar10") if root is None else Path(root)
    return root / BATCHES_DIR if (root / BATCHES_DIR).is_dir() else root


def _read_all(root):
    """-> (train rows, train labels, test rows, test labels, kind), announcing provenance."""
    folder = batches_dir(root)
    missing = [n for n in TRAIN_BATCHES + (TEST_BATCH,) if not (folder / n).is_file()]
    if missing:
        raise not_installed("cifar10", f"CIFAR-10 is not installed: {folder} lacks "
                                       f"{', '.join(missing)}")
    record_dir = folder.parent if folder.name == BATCHES_DIR else folder
    kind = provenance.announce(record_dir, _TITLE, stacklevel=4)
    train = [read_batch(folder / n) for n in TRAIN_BATCHES]
    test_rows, test_labels = read_batch(folder / TEST_BATCH)
    return (np.concatenate([r for r, _ in train]), np.concatenate([y for _, y in train]),
            test_rows, test_labels, kind)


def load_CIFAR10(root=None, dtype=np.float64):
    """Load all of CIFAR-10 (CS231n's layout).

    root: the ``cifar-10-batches-py`` folder or the dataset directory (default: installed).
    Returns X_train (N, 32, 32, 3), y_train (N,), X_test (M, 32, 32, 3), y_test (M,) with
    N = 50,000 and M = 10,000 for the real set (fewer for a partial or synthetic one); X in
    ``dtype`` (float64 like CS231n; pass np.uint8 for the raw pixels), y int64.
    """
    train_rows, y_train, test_rows, y_test, _ = _read_all(root)
    return (rows_to_images(train_rows).astype(dtype), y_train,
            rows_to_images(test_rows).astype(dtype), y_test)


def _fit_split(available_train, available_test, num_training, num_validation, num_test, num_dev):
    """Shrink the requested split to what the data holds; -> (sizes, message or None)."""
    sizes = (num_training, num_validation, num_test, num_dev)
    if num_training + num_validation > available_train:
        num_validation = min(num_validation, max(1, available_train // 10))
        num_training = min(num_training, available_train - num_validation)
    num_test = min(num_test, available_test)
    num_dev = min(num_dev, num_training)
    fitted = (num_training, num_validation, num_test, num_dev)
    if fitted == sizes:
        return fitted, None
    return fitted, (f"{available_train:,} training and {available_test:,} test images available: "
                    f"using train/val/test/dev = {'/'.join(f'{n:,}' for n in fitted)} "
                    f"instead of {'/'.join(f'{n:,}' for n in sizes)}")


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000, num_dev=500,
                     subtract_mean=True, channels_first=True, dtype=np.float32, root=None,
                     seed=0):
    """CIFAR-10 split as in CS231n, ready for training.

    Validation rows are the ``num_validation`` training rows after the first ``num_training``;
    test rows are the first ``num_test`` test images; the dev set is ``num_dev`` rows drawn
    (without replacement, ``seed``) from the training rows. With ``subtract_mean`` the mean
    training image is subtracted from every split. When the installed set is partial or
    synthetic and smaller than requested, or in smoke mode (``DL4CV_SMOKE=1``), the sizes
    shrink and one line says so.

    Returns a dict: X_train (N, 3, 32, 32) (or (N, 32, 32, 3) with channels_first=False) in
    ``dtype``, y_train (N,) int64, and likewise X_val/y_val, X_test/y_test, and X_dev/y_dev
    when num_dev > 0.
    """
    train_rows, train_labels, test_rows, test_labels, kind = _read_all(root)
    notes = []
    if config.smoke():
        requested = dict(num_training=num_training, num_validation=num_validation,
                         num_test=num_test, num_dev=num_dev)
        small = {k: min(v, _SMOKE_SIZES[k]) for k, v in requested.items()}
        if small != requested:
            notes.append("smoke mode (DL4CV_SMOKE)")
        num_training, num_validation, num_test, num_dev = small.values()
    (num_training, num_validation, num_test, num_dev), shrunk = _fit_split(
        len(train_rows), len(test_rows), num_training, num_validation, num_test, num_dev)
    if shrunk:
        notes.append(f"{kind} CIFAR-10" if kind != "real" else "CIFAR-10")
        notes.append(shrunk)
    if notes:
        print(f"get_CIFAR10_data: {'; '.join(notes)}")

    def images(rows):
        return rows_to_images(rows).astype(dtype)

    data = {
        "X_train": images(train_rows[:num_training]),
        "y_train": train_labels[:num_training],
        "X_val": images(train_rows[num_training:num_training + num_validation]),
        "y_val": train_labels[num_training:num_training + num_validation],
        "X_test": images(test_rows[:num_test]),
        "y_test": test_labels[:num_test],
    }
    if num_dev:
        dev = np.random.default_rng(seed).choice(num_training, num_dev, replace=False)
        data["X_dev"], data["y_dev"] = data["X_train"][dev], data["y_train"][dev]
    if subtract_mean:
        mean_image = data["X_train"].mean(axis=0)
        for key in [k for k in data if k.startswith("X_")]:
            data[key] -= mean_image
    if channels_first:
        for key in [k for k in data if k.startswith("X_")]:
            data[key] = np.ascontiguousarray(data[key].transpose(0, 3, 1, 2))
    return data
