"""Static scan for forbidden APIs (the authoritative policy signal)."""
import pytest

from dl4cv_grader.sandbox.policy import static_uses

FORBIDDEN = ("numpy.linalg.norm", "scipy", "sklearn", "dl4cv.classifiers.k_nearest_neighbor")


@pytest.mark.parametrize("source, found", [
    ("import numpy as np\nd = np.linalg.norm(x)", ["numpy.linalg.norm"]),
    ("import numpy\nd = numpy.linalg.norm(x)", ["numpy.linalg.norm"]),
    ("from numpy.linalg import norm as n\nd = n(x)", ["numpy.linalg.norm"]),
    ("from numpy import linalg as la\nd = la.norm(x)", ["numpy.linalg.norm"]),
    ("import numpy as np\nf = getattr(np.linalg, 'norm')", ["numpy.linalg.norm"]),
    ("from scipy.spatial.distance import cdist", ["scipy"]),
    ("import sklearn.neighbors", ["sklearn"]),
    ("m = __import__('sklearn')", ["sklearn"]),
    ("import importlib\nm = importlib.import_module('scipy.spatial')", ["scipy"]),
    ("from dl4cv.classifiers.k_nearest_neighbor import KNearestNeighbor", ["dl4cv.classifiers.k_nearest_neighbor"]),
    ("%matplotlib inline\nimport numpy as np\nnp.sqrt(np.sum(x ** 2))", []),
    ("import numpy as np\nnp.linalg.svd(x)  # norm in a comment", []),
    ("def f(:\n", []),
])
def test_static_uses_resolves_aliases(source, found):
    assert static_uses(source, FORBIDDEN) == found


def test_aliases_from_context_cells_count_but_their_uses_do_not():
    context = "import numpy as np\nfrom scipy import stats"
    assert static_uses("d = np.linalg.norm(x)", FORBIDDEN, context=context) == ["numpy.linalg.norm"]
    assert static_uses("d = np.sum(x)", FORBIDDEN, context=context) == []
