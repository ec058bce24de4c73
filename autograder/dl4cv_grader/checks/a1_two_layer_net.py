"""Hidden checks for a1/two_layer_net.ipynb.

Each check builds its own inputs (other shapes and values than the notebook's public checks:
4-d inputs, odd sizes, a single example, exact zeros, scores near 1e4), calls the student's
function in the sandbox, and compares the plain-data result here, on the trusted side, with
the library's reference (``dl4cv.layers``, ``dl4cv.classifiers.fc_net.TwoLayerNet``).

The network's loss is graded on its own: in the sandbox, the student's ``two_layer_net_loss``
runs with the library's layers plugged in for the five layer functions it calls
(``Student.plug_in``), and is compared with the library's network. So a layer that raises
or is wrong costs the points of that layer's task only, and the loss checks test how the
layers are put together, the regularization and the gradients. Messages name the output and the kind of
error, never the inputs or the expected values.
"""
import numpy as np

from dl4cv import layers as reference
from dl4cv.classifiers.fc_net import TwoLayerNet as ReferenceNet
from dl4cv.gradient_check import relative_errors

from dl4cv_grader.checks import check_rng, register
from dl4cv_grader.results import CheckFailed

# What the notebook's setup cell gives the graded code.
PRELUDE = "import numpy as np\n"
LAYER_NAMES = ReferenceNet.LAYER_NAMES
# The library's own layers, losses and models, per task (see checks/delegation.py). The
# network's loss may not use the library's models, but runs with its layers plugged in.
_COMPOSED = ("dl4cv.layer_utils", "dl4cv.fast_layers", "dl4cv.conv_layer_utils")
REFERENCES = {
    **{f"tln_{name}": (f"dl4cv.layers.{name}", *_COMPOSED)
       for name in ("affine_forward", "affine_backward", "relu_forward", "relu_backward")},
    "tln_svm_loss": ("dl4cv.layers.svm_loss", "dl4cv.classifiers.linear_svm", *_COMPOSED),
    "tln_softmax_loss": ("dl4cv.layers.softmax_loss", "dl4cv.classifiers.softmax", *_COMPOSED),
    "tln_net_loss": ("dl4cv.classifiers", *_COMPOSED),
}


def compare(label, got, want, max_rel_error=1e-7, hint=""):
    """Raise CheckFailed unless the array ``got`` matches ``want`` (shape, finiteness, values).

    Entries whose reference is tiny are compared absolutely, relative to the largest
    reference entry, so that rounding noise around zero does not count as an error.
    """
    want = np.asarray(want, dtype=np.float64)
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        got = None
    if got is None or got.dtype == object:
        raise CheckFailed(f"{label}: not an array of numbers")
    if got.shape != want.shape:
        raise CheckFailed(f"{label}: shape {got.shape}, expected {want.shape}")
    bad = ~np.isfinite(got)
    if bad.any():
        raise CheckFailed(f"{label}: {int(bad.sum())} entries are NaN or inf")
    scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-300)
    errors = np.where(np.abs(want) > 1e-8 * scale, relative_errors(got, want), np.abs(got - want) / scale)
    wrong = errors > max_rel_error
    if wrong.any():
        advice = f"; {hint}" if hint else ""
        raise CheckFailed(f"{label}: {int(wrong.sum())} of {wrong.size} entries are wrong (largest "
                          f"relative error {float(errors.max()):.1e}){advice}")


def unpack(label, value, names):
    """The tuple ``value`` as ``len(names)`` items; CheckFailed naming what was returned."""
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        got = f"{len(value)} values" if isinstance(value, (tuple, list)) else type(value).__name__
        raise CheckFailed(f"{label} returned {got}; it must return {len(names)}: {', '.join(names)}")
    return value


@register("a1.two_layer_net.affine_forward", points=2, task="tln_affine_forward")
def affine_forward(student, code):
    """affine_forward on 4-d input, a single example and an odd output size."""
    rng = check_rng(101)
    cases = [
        ("4-d input (N, 2, 3, 5)", rng.normal(size=(3, 2, 3, 5)), rng.normal(size=(30, 7)), rng.normal(size=7)),
        ("a single example", rng.normal(size=(1, 11)), rng.normal(size=(11, 4)), rng.normal(size=4)),
        ("one output unit", rng.normal(size=(6, 3, 3)), rng.normal(size=(9, 1)), rng.normal(size=1)),
    ]
    for label, x, w, b in cases:
        out, _ = unpack("affine_forward", student.call("affine_forward", x, w, b), ("out", "cache"))
        compare(f"affine_forward out on {label}", out, reference.affine_forward(x, w, b)[0],
                hint="flatten each example to one row, multiply by w, add b")


@register("a1.two_layer_net.affine_backward", points=3, task="tln_affine_backward")
def affine_backward(student, code):
    """affine_backward's dx, dw, db on 4-d input, a single example and odd sizes."""
    rng = check_rng(102)
    cases = [
        ("4-d input (N, 3, 2, 2)", (4, 3, 2, 2), 5),
        ("a single example", (1, 7), 3),
        ("odd sizes", (5, 13), 1),
    ]
    for label, x_shape, m in cases:
        x = rng.normal(size=x_shape)
        w = rng.normal(size=(int(np.prod(x_shape[1:])), m))
        b = rng.normal(size=m)
        dout = rng.normal(size=(x_shape[0], m))
        got = unpack("affine_backward", student.call("affine_backward", dout, (x, w, b)), ("dx", "dw", "db"))
        want = reference.affine_backward(dout, (x, w, b))
        hints = ("dx has the shape of x", "dw has the shape of w", "db sums over the examples")
        for name, g, r, hint in zip(("dx", "dw", "db"), got, want, hints):
            compare(f"{name} on {label}", g, r, hint=hint)


@register("a1.two_layer_net.relu_forward", points=1, task="tln_relu_forward")
def relu_forward(student, code):
    """relu_forward on 3-d input with exact zeros, and on a single value."""
    rng = check_rng(103)
    x = rng.normal(size=(2, 3, 4))
    x[0, 1] = 0.0
    for label, value in (("a 3-d input with zeros", x), ("a (1, 1) input", np.array([[-3.0]]))):
        out, _ = unpack("relu_forward", student.call("relu_forward", value), ("out", "cache"))
        compare(f"relu_forward out on {label}", out, reference.relu_forward(value)[0],
                hint="keep positive entries, set the others to 0, keep the shape")


@register("a1.two_layer_net.relu_backward", points=2, task="tln_relu_backward")
def relu_backward(student, code):
    """relu_backward on 4-d input with exact zeros (no gradient at 0) and negative dout."""
    rng = check_rng(104)
    x = rng.normal(size=(3, 2, 2, 5))
    x[:, 0, 1] = 0.0
    cases = [("a 4-d input with zeros", x, rng.normal(size=x.shape)),
             ("a single example", np.array([[2.0, -1.0, 0.0, 0.5]]), np.array([[-1.0, 3.0, 4.0, -2.0]]))]
    for label, value, dout in cases:
        dx = student.call("relu_backward", dout, value)
        compare(f"relu_backward dx on {label}", dx, reference.relu_backward(dout, value),
                hint="pass dout only where the input x was strictly positive")


def _scores_cases(seed):
    """(label, scores, labels) for the two losses: odd sizes, one example, two classes."""
    rng = check_rng(seed)
    return [
        ("9 examples and 6 classes", rng.normal(size=(9, 6)) * 2.0, rng.integers(0, 6, size=9)),
        ("a single example", rng.normal(size=(1, 5)), np.array([3])),
        ("two classes", rng.normal(size=(7, 2)), rng.integers(0, 2, size=7)),
    ]


def _check_loss(student, name, cases, hint):
    for label, x, y in cases:
        loss, dx = unpack(name, student.call(name, x, y), ("loss", "dx"))
        want_loss, want_dx = getattr(reference, name)(x, y)
        compare(f"{name} loss on {label}", loss, want_loss, hint=hint)
        compare(f"{name} dx on {label}", dx, want_dx, hint=hint)


@register("a1.two_layer_net.svm_loss", points=3, task="tln_svm_loss")
def svm_loss(student, code):
    """svm_loss (loss and dx) on odd sizes, a single example and two classes."""
    _check_loss(student, "svm_loss", _scores_cases(105),
                "margins of the wrong classes only, averaged over the N examples")


@register("a1.two_layer_net.softmax_loss", points=4, task="tln_softmax_loss")
def softmax_loss(student, code):
    """softmax_loss (loss and dx) on odd sizes, a single example, and scores near 1e4."""
    rng = check_rng(106)
    large = [("scores near 1e4", 1e4 + rng.normal(size=(4, 5)) * 30.0, np.array([0, 4, 2, 2])),
             ("scores spread over +-1e4", rng.normal(size=(3, 4)) * 1e4, np.array([1, 0, 3]))]
    _check_loss(student, "softmax_loss", _scores_cases(107) + large,
                "average -log(probability of the correct class) over N; subtract each row's "
                "maximum score before exponentiating")


def _net_case(student, reg, seed):
    """(student model with the library's layers plugged in, reference net, X, y) for one case."""
    rng = check_rng(seed)
    dims = dict(input_dim=7, hidden_dim=6, num_classes=4)
    params = {"W1": rng.normal(size=(7, 6)) * 0.5, "b1": rng.normal(size=6) * 0.1,
              "W2": rng.normal(size=(6, 4)) * 0.5, "b2": rng.normal(size=4) * 0.1}
    student.plug_in(**{name: f"dl4cv.layers.{name}" for name in LAYER_NAMES})
    model = student.new("TwoLayerNet", reg=reg, **dims)
    model.call("set_params", params)
    ref = ReferenceNet(reg=reg, **dims)
    ref.params = {k: v.copy() for k, v in params.items()}
    X, y = rng.normal(size=(5, 7)), rng.integers(0, 4, size=5)
    return model, ref, X, y


def _compare_loss_and_grads(model, ref, X, y, label, hint):
    loss, grads = unpack("two_layer_net_loss", model.call("loss", X, y), ("loss", "grads"))
    want_loss, want_grads = ref.loss(X, y)
    compare(f"loss {label}", loss, want_loss, hint=hint)
    if not isinstance(grads, dict):
        raise CheckFailed(f"grads {label}: not a dict from parameter name to gradient")
    for name in ("W1", "b1", "W2", "b2"):
        if name not in grads:
            raise CheckFailed(f"grads {label}: no entry {name!r}")
        compare(f"grads[{name!r}] {label}", grads[name], want_grads[name], hint=hint)


@register("a1.two_layer_net.loss", points=3, task="tln_net_loss")
def net_loss(student, code):
    """Scores at test time, and loss and gradients without regularization."""
    model, ref, X, y = _net_case(student, reg=0.0, seed=108)
    compare("scores at test time (y=None)", model.call("loss", X), ref.loss(X),
            hint="affine, ReLU, affine; return the scores when y is None")
    _compare_loss_and_grads(model, ref, X, y, "without regularization",
                            "softmax loss of the scores; backward passes in reverse order")
    one, one_ref, X1, y1 = _net_case(student, reg=0.0, seed=109)
    _compare_loss_and_grads(one, one_ref, X1[:1], y1[:1], "on a single example",
                            "softmax loss of the scores; backward passes in reverse order")


@register("a1.two_layer_net.loss.reg", points=2, task="tln_net_loss")
def net_loss_reg(student, code):
    """Loss and gradients with L2 regularization (0.5 * reg * sum(W^2), biases excluded)."""
    for reg, seed in ((0.3, 110), (2.5, 111)):
        model, ref, X, y = _net_case(student, reg=reg, seed=seed)
        _compare_loss_and_grads(model, ref, X, y, f"with reg={reg}",
                                "add 0.5 * reg * sum(W * W) for W1 and W2 to the loss and "
                                "reg * W to their gradients; the biases are not regularized")
