"""Plotting helpers: image grids, linear-classifier templates, training curves, dataset samples.

Functions that draw return the matplotlib ``Figure`` (to save or adjust it); they work with
any backend, including the non-interactive Agg used in tests and CI. In a notebook, assign the
result (``fig = show_examples(...)``) or end the line with ``;`` so that the figure is not
shown twice.
"""
import matplotlib.pyplot as plt
import numpy as np


def _rescale_each(X, ubound):
    """(N, H, W, C) images -> float64 images, each mapped linearly onto [0, ubound].

    An image whose pixels are all equal maps to zeros.
    """
    X = np.asarray(X, dtype=np.float64)
    low = X.min(axis=(1, 2, 3), keepdims=True)
    span = X.max(axis=(1, 2, 3), keepdims=True) - low
    return np.where(span > 0, ubound * (X - low) / np.where(span > 0, span, 1.0), 0.0)


def _as_uint8_images(X):
    """(N, H, W, C) array of any range -> uint8 images, each rescaled to [0, 255]."""
    return _rescale_each(X, 255.0).astype(np.uint8)


def _imshow(ax, img):
    """Draw one (H, W, C) uint8 image without axes; C = 1 is drawn in grey."""
    ax.imshow(img.squeeze(axis=-1) if img.shape[-1] == 1 else img, cmap="gray")
    ax.axis("off")


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Tile a batch of images into one image, each rescaled to [0, ubound].

    Inputs:
    - Xs: (N, H, W, C) images (C = 1 or 3 for display).
    - ubound: each image is rescaled linearly so its minimum maps to 0 and its maximum to
      ubound (a constant image maps to 0).
    - padding: pixels of zeros between neighbouring images.

    Returns:
    - grid: (G*(H+padding)-padding, G*(W+padding)-padding, C) array with
      G = ceil(sqrt(N)); cells beyond the N-th image stay zero.
    """
    Xs = np.asarray(Xs, dtype=np.float64)
    if Xs.ndim != 4:
        raise ValueError(
            f"visualize_grid expects images of shape (N, H, W, C), got {Xs.shape}; "
            "add a channel axis with X[..., None] for grey images"
        )
    n, h, w, c = Xs.shape
    g = int(np.ceil(np.sqrt(n)))
    grid = np.zeros((g * (h + padding) - padding, g * (w + padding) - padding, c))
    for i, img in enumerate(_rescale_each(Xs, ubound)):
        row, col = divmod(i, g)
        top, left = row * (h + padding), col * (w + padding)
        grid[top:top + h, left:left + w] = img
    return grid


def show_class_templates(W, class_names, image_shape=(32, 32, 3)):
    """Show each column of a linear classifier's weights as an image.

    Inputs:
    - W: (D, C) weights with D = prod(image_shape), or D = prod(image_shape) + 1 when the
      data carries a constant bias feature (its row, the last, is dropped).
    - class_names: C names.
    - image_shape: (H, W, channels) of one input image.

    Returns the figure.
    """
    W = np.asarray(W)
    size = int(np.prod(image_shape))
    if W.ndim != 2 or W.shape[0] not in (size, size + 1) or W.shape[1] != len(class_names):
        raise ValueError(
            f"W has shape {W.shape} but should be ({size}, {len(class_names)}) or "
            f"({size + 1}, {len(class_names)}) for images of shape {image_shape} and "
            f"{len(class_names)} class names; pass image_shape= for other image sizes"
        )
    templates = _as_uint8_images(W[:size].T.reshape(-1, *image_shape))
    fig, axes = plt.subplots(1, len(class_names), figsize=(1.5 * len(class_names), 2), squeeze=False)
    for ax, img, name in zip(axes[0], templates, class_names):
        _imshow(ax, img)
        ax.set_title(name)
    return fig


def plot_training_curves(solver):
    """Plot a solver's loss per iteration, and training and validation accuracy per epoch.

    Inputs: solver: a trained ``dl4cv.solver.Solver`` (or any object with ``loss_history``,
    ``train_acc_history``, ``val_acc_history``). Returns the figure.
    """
    fig, (ax_loss, ax_acc) = plt.subplots(2, 1, figsize=(8, 7))
    ax_loss.plot(solver.loss_history, "o", markersize=2)
    ax_loss.set(title="Training loss", xlabel="Iteration", ylabel="Loss")
    ax_acc.plot(solver.train_acc_history, "-o", label="train")
    ax_acc.plot(solver.val_acc_history, "-o", label="val")
    ax_acc.set(title="Classification accuracy", xlabel="Epoch", ylabel="Accuracy")
    ax_acc.legend(loc="lower right")
    fig.tight_layout()
    return fig


def show_examples(X, y, class_names, samples_per_class=7, rng=None):
    """Show random examples of each class, one column per class.

    Inputs:
    - X: (N, H, W, C) images, any value range (each is rescaled for display).
    - y: (N,) integer labels in [0, len(class_names)).
    - class_names: the names of the classes.
    - samples_per_class: rows of the figure; a class with fewer examples leaves blanks.
    - rng: ``np.random.Generator`` (or seed) choosing the examples.

    Returns the figure.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 4 or y.shape != (X.shape[0],):
        raise ValueError(f"expected X of shape (N, H, W, C) and y of shape (N,), got {X.shape} and {y.shape}")
    rng = np.random.default_rng(rng)
    num_classes = len(class_names)
    fig, axes = plt.subplots(samples_per_class, num_classes,
                             figsize=(1.2 * num_classes, 1.2 * samples_per_class), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for cls, name in enumerate(class_names):
        members = np.flatnonzero(y == cls)
        chosen = rng.choice(members, min(samples_per_class, members.size), replace=False)
        for row, img in enumerate(_as_uint8_images(X[chosen])):
            _imshow(axes[row, cls], img)
        axes[0, cls].set_title(name)
    return fig
