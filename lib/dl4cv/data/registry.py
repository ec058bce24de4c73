"""The registry: every file the course uses, where to download it and how to verify it.

Each dataset lists the files one downloads (``archives``: what a URL serves) and the files
that make up the installed dataset (``members``: what the loaders read). For MNIST and the
ImageNet sample the two are the same files. ``coco_captioning.zip`` has no published
checksum, so it is verified by its members: after extraction every member must match the
size and sha256 recorded here.
"""
from dataclasses import dataclass

from dl4cv import shell
from dl4cv.data.errors import UnknownDatasetError

#: The provenance kinds a dataset directory can have (see ``provenance.py``).
KINDS = ("real", "real-partial", "synthetic")


@dataclass(frozen=True)
class RemoteFile:
    """A file served at ``urls`` (tried in order); ``size`` in bytes; hex digests.

    ``sha256`` is None only for an archive verified by its members (``verified_by_members``).
    """

    name: str
    urls: tuple
    size: int | None
    sha256: str | None
    md5: str | None = None
    verified_by_members: bool = False


@dataclass(frozen=True)
class Member:
    """A file of the installed dataset, at ``path`` relative to the dataset directory.

    Optional members are installed when available but a dataset is complete without them.
    """

    path: str
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None
    required: bool = True

    @property
    def name(self):
        """The file name without its folder (how archives and import folders are matched)."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Dataset:
    """A dataset: its download ``archives`` and installed ``members``.

    archive_format: "tar.gz" or "zip" when the download is extracted; None when the downloaded
    files are the members themselves.
    """

    name: str
    title: str
    archives: tuple
    members: tuple
    archive_format: str | None = None
    homepage: str = ""
    notes: str = ""

    def member(self, name):
        """The member whose file name is ``name``, or None."""
        return next((m for m in self.members if m.name == name), None)

    @property
    def required_members(self):
        return tuple(m for m in self.members if m.required)


_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR_DIR = "cifar-10-batches-py"
_CIFAR_MEMBER_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}

CIFAR10 = Dataset(
    name="cifar10",
    title="CIFAR-10, python version (60,000 32x32 colour images, 10 classes)",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    archives=(
        RemoteFile(
            name="cifar-10-python.tar.gz",
            urls=(_CIFAR_URL,),
            size=170_498_071,
            sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
            md5="c58f30108f718f92721af3b95e74349a",
        ),
    ),
    members=tuple(Member(f"{_CIFAR_DIR}/{n}", md5=h) for n, h in _CIFAR_MEMBER_MD5.items())
    + (Member(f"{_CIFAR_DIR}/batches.meta", size=158, md5="5ff9c542aee3614f3951f8cda6e48888"),),
    archive_format="tar.gz",
    notes="Members are verified by the md5s published with the dataset.",
)

_MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_MNIST_ORIGINAL = "http://yann.lecun.com/exdb/mnist/"
_MNIST_FILES = (
    ("train-images-idx3-ubyte.gz", 9_912_422,
     "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
     "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", 28_881,
     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
     "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", 1_648_877,
     "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
     "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", 4_542,
     "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
     "ec29112dd5afa0611ce80d1b7f02629c"),
)

MNIST = Dataset(
    name="mnist",
    title="MNIST handwritten digits (60,000 + 10,000 28x28 grey images)",
    homepage="http://yann.lecun.com/exdb/mnist/",
    # The https mirror comes first: yann.lecun.com is http only and often refuses downloads.
    archives=tuple(
        RemoteFile(name=n, urls=(_MNIST_MIRROR + n, _MNIST_ORIGINAL + n), size=s, sha256=h, md5=m)
        for n, s, h, m in _MNIST_FILES
    ),
    members=tuple(Member(n, size=s, sha256=h, md5=m) for n, s, h, m in _MNIST_FILES),
)

_COCO_MEMBERS = (
    ("coco2014_captions.h5", 42_922_600,
     "4035d7ff55145f1f01b9ee9f3e24eb6ba6da3bdcd69f927c75390f11f74f891d", True),
    ("coco2014_vocab.json", 24_226,
     "0cf30d2a349e9d24df4c9b0fa3dca46ad69b05876595546fdd690559a8c8da53", True),
    ("train2014_vgg16_fc7_pca.h5", 169_541_728,
     "ec0a10c585909761d15778a1c4a5dbad92e1672853d9b5bad08e6a36fd21c779", True),
    ("val2014_vgg16_fc7_pca.h5", 82_954_336,
     "6619466e3385ef1e913fae9470ef802df283675533ce0dc34d88abac5e7d1cf9", True),
    ("train2014_urls.txt", 5_186_859,
     "7616ec66526a3acc4ad323aef4ca6642a6bb9e7e4ad4f1541786dc07e6841ae2", True),
    ("val2014_urls.txt", 2_538_571,
     "760d7c76f78f46cc376390cc4d21126b040eb48d896bae00a5b21f46ef5a9818", True),
    ("train2014_vgg16_fc7.h5", 1_356_322_912,
     "8e15fc883ea70730d5d1319f34712bcb706b2807645cd876f7886d61ff94a5d8", False),
    ("val2014_vgg16_fc7.h5", 663_623_776,
     "21ebb9bda6232c7697c8d883916d6bc582d0a101ddcad30512f5444196e14f63", False),
    ("train2014_images.txt", 4_470_282,
     "25ba420a05fb6873e10b2ad5cbda54978d98df5b85617dfc13cfd55908328ce4", False),
    ("val2014_images.txt", 2_025_200,
     "5b98b5430c41dc245222e174fa67b7fc703923fa6e888c30fb33277f3d9c88ad", False),
)

COCO_CAPTIONING = Dataset(
    name="coco_captioning",
    title="CS231n COCO captioning (MS-COCO 2014 captions, VGG-16 fc7 features, PCA to 512)",
    homepage="https://cs231n.github.io/",
    archives=(
        RemoteFile(
            name="coco_captioning.zip",
            urls=("https://cs231n.stanford.edu/coco_captioning.zip",
                  "http://cs231n.stanford.edu/coco_captioning.zip"),
            size=None,
            sha256=None,
            verified_by_members=True,
        ),
    ),
    members=tuple(Member(n, size=s, sha256=h, required=r) for n, s, h, r in _COCO_MEMBERS),
    archive_format="zip",
    notes="The zip has no published checksum: it is verified by its members after extraction. "
          "The full 4096-d fc7 files (about 2 GB) are optional; the PCA files suffice.",
)

_IMAGENET_FILE = ("imagenet_val_25.npz", 3_940_548,
                  "35141609d22457c791e8fbe10c2d3b09ed0d6a04b669173e9fbebb0b4915cd3c",
                  "6ac63c0258b84b7eaca6d83a2b35001c")

IMAGENET_VAL = Dataset(
    name="imagenet_val",
    title="CS231n's 25 ImageNet validation images (224x224, with a label map)",
    homepage="https://cs231n.github.io/",
    archives=(
        RemoteFile(name=_IMAGENET_FILE[0],
                   urls=("https://cs231n.stanford.edu/imagenet_val_25.npz",
                         "http://cs231n.stanford.edu/imagenet_val_25.npz"),
                   size=_IMAGENET_FILE[1], sha256=_IMAGENET_FILE[2], md5=_IMAGENET_FILE[3]),
    ),
    members=(Member(_IMAGENET_FILE[0], size=_IMAGENET_FILE[1], sha256=_IMAGENET_FILE[2],
                    md5=_IMAGENET_FILE[3]),),
)

#: Every dataset of the course, by name.
REGISTRY = {d.name: d for d in (CIFAR10, MNIST, COCO_CAPTIONING, IMAGENET_VAL)}


def get(name):
    """The registered dataset called ``name``; a clear error for an unknown name."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDatasetError(
            f"unknown dataset {name!r}; the registry has: {', '.join(REGISTRY)} "
            f"(see: {shell.module('dl4cv.data', 'list')})"
        ) from None
