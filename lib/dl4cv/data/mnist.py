"""MNIST: the idx file format (gzipped, as distributed) and its loader.

On disk: ``<data_dir>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``. An idx file is
a big-endian header (magic ``0x0000080N`` with N the number of dimensions, then N int32
sizes) followed by the uint8 values in row-major order.
"""
import gzip
from pathlib import Path

import numpy as np

from dl4cv.data import provenance
from dl4cv.data.errors import DatasetCorruptError, fix_commands, not_installed

FILES = {
    "X_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "X_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
_UBYTE = 0x08


def write_idx(path, array):
    """Write a uint8 array as a gzipped idx file (reproducible bytes: no timestamp)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, _UBYTE, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(header + array.tobytes())


def read_idx(path):
    """Read a (gzipped or plain) idx file of uint8 values -> ndarray."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            payload = f.read()
    except (OSError, EOFError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise DatasetCorruptError(f"{path} is not a readable idx file ({e}). Reinstall:\n"
                                  f"{fix_commands('mnist')}") from None
    if len(payload) < 4 or payload[:2] != b"\0\0" or payload[2] != _UBYTE:
        raise DatasetCorruptError(f"{path} does not start with a uint8 idx header")
    ndim = payload[3]
    shape = tuple(int(n) for n in np.frombuffer(payload, ">i4", count=ndim, offset=4))
    body = payload[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)):
        raise DatasetCorruptError(
            f"{path}: header says {shape} ({int(np.prod(shape)):,} values) but holds {len(body):,}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape).copy()


def load_mnist(root=None):
    """Load MNIST.

    root: the folder with the four .gz files (default: the installed dataset).
    Returns X_train (60000, 28, 28) uint8, y_train (60000,) int64, X_test (10000, 28, 28)
    uint8, y_test (10000,) int64 (fewer rows for a synthetic stand-in).
    """
    root = provenance.dataset_dir("mnist") if root is None else Path(root)
    missing = [n for n in FILES.values() if not (root / n).is_file()]
    if missing:
        raise not_installed("mnist", f"MNIST is not installed: {root} lacks {', '.join(missing)}")
    provenance.announce(root, "MNIST")
    arrays = {key: read_idx(root / name) for key, name in FILES.items()}
    for split in ("train", "test"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise DatasetCorruptError(
                f"MNIST {split} images {X.shape} and labels {y.shape} do not match; reinstall:\n"
                f"{fix_commands('mnist')}")
    return (arrays["X_train"], arrays["y_train"].astype(np.int64),
            arrays["X_test"], arrays["y_test"].astype(np.int64))
