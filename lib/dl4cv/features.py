"""Image features for the a1 ``features`` notebook (CS231n's names and outputs).

``hog_feature`` and ``color_histogram_hsv`` compute one image's feature vector with Numba
kernels (``dl4cv.kernels.hog``, ``dl4cv.kernels.hue_histogram``); ``extract_features`` stacks
any list of such functions over a batch of images.
"""
import numpy as np

from dl4cv.kernels.hog import hog
from dl4cv.kernels.hue_histogram import hue_histogram

#: CS231n's ``rgb2gray`` weights, kept as published (the blue weight is 0.144, not the
#: ITU-R 601 value 0.114) so that features match the course's published results.
GRAY_WEIGHTS = np.array([0.299, 0.587, 0.144])


def rgb2gray(rgb):
    """Grayscale of rgb: (H, W, 3) (or more channels; the first three are used) -> (H, W)."""
    return np.dot(np.asarray(rgb)[..., :3], GRAY_WEIGHTS)


def hog_feature(im):
    """Histogram of oriented gradients of one image.

    Inputs: im: (H, W, 3) RGB or (H, W) grayscale. Returns a 1-D float64 vector of length
    (W // 8) * (H // 8) * 9: per 8x8 cell, the mean gradient magnitude in each of 9
    orientation bins (see ``dl4cv.kernels.hog`` for the exact conventions). A 32x32 image
    gives 144 numbers.
    """
    im = np.asarray(im)
    image = rgb2gray(im) if im.ndim == 3 else np.atleast_2d(im)
    return hog(image).ravel()


def color_histogram_hsv(im, nbin=10, xmin=0, xmax=255, normalized=True):
    """Histogram of the hue of one image.

    Inputs: im: (H, W, 3) RGB with values in [0, xmax]; nbin equal bins over [xmin, xmax]
    of the hue scaled to [0, xmax]. Returns (nbin,) float64: the fraction of pixels per bin
    if ``normalized`` (sums to 1 when every hue lies in range), else, as in CS231n, the
    counts multiplied by the bin width.
    """
    edges = np.linspace(xmin, xmax, nbin + 1)
    counts = hue_histogram(np.asarray(im, dtype=np.float64) / xmax, xmax, edges)
    widths = np.diff(edges)
    if normalized:
        return counts / widths / counts.sum() * widths
    return counts * widths


def extract_features(imgs, feature_fns, verbose=False):
    """Apply every feature function to every image and concatenate the results.

    Inputs: imgs: (N, H, W, C) (or any leading axis of N images); feature_fns: list of
    functions, each taking one image (``imgs[i].squeeze()``) and returning a 1-D array.
    Returns features: (N, F_1 + ... + F_k) float64, the functions' outputs side by side.
    """
    num_images = len(imgs)
    if num_images == 0:
        return np.array([])
    first = [np.asarray(fn(imgs[0].squeeze())) for fn in feature_fns]
    for fn, feats in zip(feature_fns, first):
        if feats.ndim != 1:
            raise ValueError(f"feature function {getattr(fn, '__name__', fn)} must return a 1-D array; got shape {feats.shape}")
    bounds = np.cumsum([0] + [feats.size for feats in first])
    features = np.zeros((num_images, bounds[-1]))
    features[0] = np.concatenate(first)
    for i in range(1, num_images):
        image = imgs[i].squeeze()
        for k, fn in enumerate(feature_fns):
            features[i, bounds[k] : bounds[k + 1]] = fn(image)
        if verbose and i % 1000 == 999:
            print(f"Done extracting features for {i + 1} / {num_images} images")
    return features
