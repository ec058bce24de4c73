"""Histogram of oriented gradients on a grayscale image, with CS231n's conventions.

Gradients are forward differences (gx[r, c] = I[r, c+1] - I[r, c], 0 in the last column;
gy likewise down the rows, 0 in the last row). The orientation is
``degrees(arctan2(gy, gx + 1e-15)) + 90`` and falls in one of 9 bins of 20 degrees over
(0, 180); as in CS231n's ``hog_feature``, gradients whose orientation lies outside that range
(or is exactly 0) are not counted. Each 8x8 cell (incomplete cells at the right and bottom
are dropped) gets, per bin, the mean gradient magnitude over its 64 pixels.

Output hist: (n_cells_x, n_cells_y, 9), hist[cx, cy, b] for the cell in cell-column cx and
cell-row cy (CS231n's order, transposed from row-major).
"""
import numpy as np
from numba import njit

ORIENTATIONS = 9
CELL = 8
_BIN_WIDTH = 180.0 / ORIENTATIONS


@njit(cache=True)
def _hog_kernel(img, hist):
    H, W = img.shape
    ncx, ncy = hist.shape[0], hist.shape[1]
    to_degrees = 180.0 / np.pi
    for r in range(ncy * CELL):
        for c in range(ncx * CELL):
            gx = img[r, c + 1] - img[r, c] if c + 1 < W else 0.0
            gy = img[r + 1, c] - img[r, c] if r + 1 < H else 0.0
            ori = np.arctan2(gy, gx + 1e-15) * to_degrees + 90
            if ori <= 0 or ori >= 180:
                continue
            b = int(ori / _BIN_WIDTH)
            if ori < _BIN_WIDTH * b:
                b -= 1
            elif ori >= _BIN_WIDTH * (b + 1):
                b += 1
            hist[c // CELL, r // CELL, b] += np.sqrt(gx * gx + gy * gy)
    for i in range(ncx):
        for j in range(ncy):
            for b in range(ORIENTATIONS):
                hist[i, j, b] /= CELL * CELL


def hog(img):
    """HOG of a grayscale image img: (H, W) -> hist: (W // 8, H // 8, 9), float64."""
    img = np.ascontiguousarray(img, dtype=np.float64)
    hist = np.zeros((img.shape[1] // CELL, img.shape[0] // CELL, ORIENTATIONS))
    _hog_kernel(img, hist)
    return hist


def hog_ref(img):
    """NumPy reference of ``hog`` (whole-image arrays, one mask per orientation bin)."""
    img = np.asarray(img, dtype=np.float64)
    H, W = img.shape
    gx = np.zeros_like(img)
    gy = np.zeros_like(img)
    gx[:, :-1] = np.diff(img, axis=1)
    gy[:-1, :] = np.diff(img, axis=0)
    mag = np.sqrt(gx**2 + gy**2)
    ori = np.degrees(np.arctan2(gy, gx + 1e-15)) + 90
    ncy, ncx = H // CELL, W // CELL
    hist = np.empty((ncx, ncy, ORIENTATIONS))
    for b in range(ORIENTATIONS):
        inside = (ori >= _BIN_WIDTH * b) & (ori < _BIN_WIDTH * (b + 1)) & (ori > 0)
        m = np.where(inside, mag, 0)[: ncy * CELL, : ncx * CELL]
        hist[:, :, b] = m.reshape(ncy, CELL, ncx, CELL).mean(axis=(1, 3)).T
    return hist
