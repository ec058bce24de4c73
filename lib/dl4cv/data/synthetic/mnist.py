"""Synthetic MNIST: 28x28 grey digit-like images rendered from strokes, in MNIST's idx format.

Each digit is a few polylines in a unit box (x right, y down). Every image moves the points a
little (handwriting wobble), applies a random rotation, slant, scale and shift, and renders
the strokes with a random thickness, so classes are consistent but no two images are equal.
"""
import numpy as np

from dl4cv.data import mnist as fmt


def _arc(cx, cy, rx, ry, start, stop, points=9):
    """Points of an elliptical arc; angles in degrees, 0 = right, 90 = down."""
    a = np.radians(np.linspace(start, stop, points))
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def _line(*points):
    return np.array(points, dtype=float)


#: Strokes of each digit: a list of polylines, each (k, 2) points in the unit box.
STROKES = (
    [_arc(0.5, 0.5, 0.3, 0.42, 0, 360, 17)],
    [_line((0.35, 0.25), (0.55, 0.08), (0.55, 0.92))],
    [np.vstack([_arc(0.5, 0.32, 0.28, 0.24, 180, 380), _line((0.2, 0.9), (0.82, 0.9))])],
    [_arc(0.48, 0.3, 0.27, 0.21, 200, 450), _arc(0.48, 0.71, 0.3, 0.21, 270, 520)],
    [_line((0.65, 0.92), (0.65, 0.08), (0.18, 0.62), (0.85, 0.62))],
    [np.vstack([_line((0.8, 0.1), (0.28, 0.1), (0.25, 0.45)), _arc(0.5, 0.66, 0.3, 0.25, 230, 510)])],
    [np.vstack([_arc(0.75, 0.55, 0.45, 0.5, 250, 180, 6), _arc(0.5, 0.7, 0.27, 0.21, 180, 540)])],
    [_line((0.18, 0.1), (0.82, 0.1), (0.4, 0.92))],
    [_arc(0.5, 0.29, 0.24, 0.2, 0, 360, 13), _arc(0.5, 0.7, 0.29, 0.22, 0, 360, 13)],
    [_arc(0.5, 0.32, 0.27, 0.22, 0, 360, 13), _line((0.77, 0.32), (0.7, 0.92))],
)


def _segments(points):
    """(k, 2) polyline -> (k-1, 2, 2) segments."""
    return np.stack([points[:-1], points[1:]], axis=1)


def draw(labels, rng, size=28):
    """Images (n, size, size) uint8 of the digits ``labels`` (n,)."""
    labels = np.asarray(labels)
    images = np.zeros((len(labels), size, size), np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    px, py = xx.ravel(), yy.ravel()                                                # (P,)
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        if rows.size == 0:
            continue
        n = rows.size
        seg = np.concatenate([_segments(s) for s in STROKES[digit]])  # (S, 2, 2)
        seg = seg[None] + rng.normal(0, 0.03, (n,) + seg.shape)      # wobble
        angle = np.radians(rng.normal(0, 10, n))
        slant = rng.normal(0, 0.15, n)
        scale = rng.uniform(17, 21, n)
        cos, sin = np.cos(angle), np.sin(angle)
        A = np.stack([np.stack([cos, -sin + slant], 1), np.stack([sin, cos], 1)], 1) * scale[:, None, None]
        shift = size / 2 + rng.normal(0, 1.2, (n, 2))
        seg = np.einsum("nij,nskj->nski", A, seg - 0.5) + shift[:, None, None, :]
        seg = seg.astype(np.float32)[..., None]                                   # (n, S, 2, 2, 1)
        sx, sy = seg[:, :, 0, 0], seg[:, :, 0, 1]                                  # (n, S, 1)
        dx, dy = seg[:, :, 1, 0] - sx, seg[:, :, 1, 1] - sy
        ux, uy = px - sx, py - sy                                                  # (n, S, P)
        t = np.clip((ux * dx + uy * dy) / np.maximum(dx * dx + dy * dy, 1e-6), 0, 1)
        gx, gy = ux - t * dx, uy - t * dy
        distance = np.sqrt((gx * gx + gy * gy).min(axis=1))                        # (n, P)
        thickness = rng.uniform(0.9, 1.8, (n, 1))
        ink = np.clip(thickness + 0.5 - distance, 0, 1)
        images[rows] = ink.reshape(n, size, size)
    return (images * 255 + 0.5).astype(np.uint8)


def generate(folder, rng, num_train=6_000, num_test=1_000):
    """Write the four MNIST .gz files into ``folder``; balanced, shuffled classes.

    Returns {"num_train": ..., "num_test": ...}.
    """
    for split, count in (("train", num_train), ("test", num_test)):
        labels = rng.permutation(np.arange(count) % 10)
        fmt.write_idx(folder / fmt.FILES[f"X_{split}"], draw(labels, rng))
        fmt.write_idx(folder / fmt.FILES[f"y_{split}"], labels)
    return {"num_train": num_train, "num_test": num_test}
