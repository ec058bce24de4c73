"""Hidden checks for a1/features.ipynb.

``normalize_features`` is called in the sandbox on feature matrices of other sizes than the
notebook's check (a single validation row, constant and nearly constant columns, large
offsets) and compared here with the trusted ``reference_normalize``. Messages name the
returned array and the kind of error, never the inputs or the expected values.
"""
import numpy as np

from dl4cv_grader.checks import check_rng, register
from dl4cv_grader.checks.a1_two_layer_net import compare, unpack

PRELUDE = "import numpy as np\n"
# Ready-made scalers (scikit-learn, scipy.stats.zscore) would not be the student's work.
FORBIDDEN = ("sklearn", "scipy.stats")
# The library has no implementation of this task (see checks/delegation.py).
REFERENCES = {"feat_normalize": ()}


def reference_normalize(X_train_feats, X_val_feats, X_test_feats):
    """The expected result: training mean and std (1 where the std is 0), then a ones column.

    Inputs: three (N_split, F) arrays. Returns three (N_split, F + 1) arrays.
    """
    mean = X_train_feats.mean(axis=0)
    std = X_train_feats.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return tuple(np.hstack([(f - mean) / std, np.ones((len(f), 1))])
                 for f in (X_train_feats, X_val_feats, X_test_feats))


def _cases(rng):
    """(label, train, val, test) cases of odd sizes, with constant columns and large offsets."""
    train = rng.normal(size=(23, 9)) * rng.uniform(0.01, 50.0, size=9) + rng.uniform(-100, 100, size=9)
    train[:, 4] = 7.0  # a constant feature
    val = rng.normal(size=(1, 9)) * 3.0
    test = rng.normal(size=(5, 9)) * 3.0
    hog_like = rng.uniform(0, 5, size=(12, 3))
    return [
        ("features with a constant column and a single validation row", train, val, test),
        ("three features", hog_like, rng.uniform(0, 5, size=(4, 3)), rng.uniform(0, 5, size=(2, 3))),
    ]


@register("a1.features.normalize", points=3, task="feat_normalize")
def normalize(student, code):
    """normalize_features matches the reference on unseen sizes and constant columns."""
    for label, train, val, test in _cases(check_rng(201)):
        got = unpack("normalize_features", student.call("normalize_features", train, val, test),
                     ("train", "val", "test"))
        want = reference_normalize(train, val, test)
        for name, g, w in zip(("train", "val", "test"), got, want):
            compare(f"the {name} features on {label}", g, w, max_rel_error=1e-6,
                    hint="use the training set's mean and standard deviation (1 where it is 0) for "
                         "all three sets, and append a column of ones")
