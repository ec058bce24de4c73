"""Vectorised soft masks of simple shapes, for drawing many synthetic images at once.

Every function takes pixel offsets ``dy, dx`` (n, H, W) from each image's shape centre and
the shape radius ``r`` (n, 1, 1), and returns a mask (n, H, W) in [0, 1].
"""
import numpy as np


def _inside(distance):
    """Soft edge: 1 inside (distance < 0), 0 outside, a one-pixel ramp between."""
    return np.clip(0.5 - distance, 0.0, 1.0)


def disk(dy, dx, r):
    return _inside(np.hypot(dy, dx) - r)


def square(dy, dx, r):
    return _inside(np.maximum(abs(dy), abs(dx)) - 0.85 * r)


def diamond(dy, dx, r):
    return _inside((abs(dy) + abs(dx)) - 1.2 * r)


def ring(dy, dx, r):
    return _inside(abs(np.hypot(dy, dx) - 0.8 * r) - 0.25 * r)


def plus(dy, dx, r):
    arm = np.minimum(abs(dy), abs(dx)) - 0.3 * r
    return _inside(np.maximum(arm, np.maximum(abs(dy), abs(dx)) - r))


def cross(dy, dx, r):
    arm = abs(abs(dy) - abs(dx)) / np.sqrt(2) - 0.3 * r
    return _inside(np.maximum(arm, np.maximum(abs(dy), abs(dx)) - 0.8 * r))


def triangle(dy, dx, r):
    slanted = (abs(dx) * 2 - (dy + r)) / np.sqrt(5)
    return _inside(np.maximum(np.maximum(slanted, dy - 0.8 * r), -dy - r))


def _in_box(dy, dx, r):
    return np.maximum(abs(dy), abs(dx)) - r


def hstripes(dy, dx, r):
    stripes = np.sin(np.pi * dy / np.maximum(r / 2.5, 1.0)) * 1.5
    return _inside(np.maximum(_in_box(dy, dx, r), -stripes))


def vstripes(dy, dx, r):
    return hstripes(dx, dy, r)


def checker(dy, dx, r):
    period = np.maximum(r / 2.0, 1.0)
    pattern = np.sin(np.pi * dy / period) * np.sin(np.pi * dx / period) * 1.5
    return _inside(np.maximum(_in_box(dy, dx, r), -pattern))


#: The ten shapes, in class order.
SHAPES = (disk, square, triangle, ring, plus, cross, diamond, hstripes, vstripes, checker)
SHAPE_NAMES = tuple(f.__name__ for f in SHAPES)
