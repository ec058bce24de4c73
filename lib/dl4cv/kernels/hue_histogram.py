"""Histogram of the HSV hue of an RGB image, with matplotlib's hue and NumPy's binning.

Hue follows ``matplotlib.colors.rgb_to_hsv``: 0 for grey pixels (max == min); otherwise from
whichever channel is the maximum, blue winning ties over green over red; scaled to [0, 1).
Binning follows ``np.histogram`` with explicit edges: bin k holds edges[k] <= v < edges[k+1],
the last bin also v == edges[-1], values outside are not counted.
"""
import matplotlib.colors
import numpy as np
from numba import njit


@njit(cache=True)
def _hue(r, g, b):
    hi = max(r, g, b)
    delta = hi - min(r, g, b)
    if delta <= 0:
        return 0.0
    if b == hi:
        h = 4.0 + (r - g) / delta
    elif g == hi:
        h = 2.0 + (b - r) / delta
    else:
        h = (g - b) / delta
    return (h / 6.0) % 1.0


@njit(cache=True)
def _hue_histogram_kernel(rgb, scale, edges, counts):
    H, W = rgb.shape[0], rgb.shape[1]
    nbin = edges.shape[0] - 1
    lo, hi = edges[0], edges[nbin]
    for i in range(H):
        for j in range(W):
            v = _hue(rgb[i, j, 0], rgb[i, j, 1], rgb[i, j, 2]) * scale
            if v < lo or v > hi:
                continue
            k = min(int((v - lo) / (hi - lo) * nbin), nbin - 1)
            while k > 0 and v < edges[k]:
                k -= 1
            while k < nbin - 1 and v >= edges[k + 1]:
                k += 1
            counts[k] += 1


def _checked_rgb(rgb):
    """rgb: (H, W, 3) as float64, after checking it lies in [0, 1] (as matplotlib requires)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.float64)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"need an RGB image (H, W, 3); got shape {rgb.shape}")
    if rgb.size and (rgb.min() < 0 or rgb.max() > 1):
        raise ValueError(f"RGB values must lie in [0, 1] after scaling; got [{rgb.min()}, {rgb.max()}]")
    return rgb


def hue_histogram(rgb, scale, edges):
    """Counts: (len(edges) - 1,) of hue * scale for rgb: (H, W, 3) in [0, 1] (int64)."""
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    _hue_histogram_kernel(_checked_rgb(rgb), float(scale), np.asarray(edges, dtype=np.float64), counts)
    return counts


def hue_histogram_ref(rgb, scale, edges):
    """NumPy/matplotlib reference of ``hue_histogram``."""
    hue = matplotlib.colors.rgb_to_hsv(_checked_rgb(rgb))[..., 0] * scale
    return np.histogram(hue, bins=np.asarray(edges, dtype=np.float64))[0]
