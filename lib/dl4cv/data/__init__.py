"""dl4cv's data layer: a registry of the course's files, download and import with
verification, synthetic stand-ins, and CS231n-style loaders.

Loaders (default location: ``dl4cv.config.data_dir()``)::

    from dl4cv.data import (load_CIFAR10, get_CIFAR10_data, load_mnist, load_coco_data,
                            decode_captions, sample_coco_minibatch, load_imagenet_val)

Getting the files: ``python -m dl4cv.data --help`` (fetch, import --from DIR, synthetic,
verify, list). ``status()`` says what is installed and where it came from.
"""
from dl4cv.data.cifar10 import get_CIFAR10_data, load_CIFAR10
from dl4cv.data.coco import decode_captions, load_coco_data, sample_coco_minibatch
from dl4cv.data.errors import (DataError, DataProvenanceWarning, DatasetCorruptError,
                               DatasetExistsError, DatasetMissingError, DownloadError,
                               UnknownDatasetError)
from dl4cv.data.imagenet import load_imagenet_val
from dl4cv.data.mnist import load_mnist
from dl4cv.data.registry import REGISTRY
from dl4cv.data.status import status

__all__ = [
    "load_CIFAR10", "get_CIFAR10_data", "load_mnist", "load_coco_data", "decode_captions",
    "sample_coco_minibatch", "load_imagenet_val", "status", "REGISTRY", "DataError",
    "DatasetMissingError", "DatasetCorruptError", "DatasetExistsError", "DownloadError",
    "UnknownDatasetError", "DataProvenanceWarning",
]
