"""The similarity report: copies survive renaming, reformatting and reordering; the released
template and independent work do not look alike; the page escapes student code."""

from dl4cv_grader import cli, nbhygiene, samples, similarity

ORIGINAL = {
    "knn_two_loops": '''
def compute_distances_two_loops(self, X):
    num_test = X.shape[0]
    num_train = self.X_train.shape[0]
    dists = np.zeros((num_test, num_train))
    for i in range(num_test):
        for j in range(num_train):
            diff = X[i] - self.X_train[j]
            dists[i, j] = np.sqrt(np.sum(diff * diff))
    return dists
''',
    "knn_predict_labels": '''
def _vote(labels):
    counts = np.bincount(labels)
    return np.argmax(counts)


def predict_labels(self, dists, k=1):
    num_test = dists.shape[0]
    y_pred = np.zeros(num_test, dtype=self.y_train.dtype)
    for i in range(num_test):
        nearest = np.argsort(dists[i], kind="stable")[:k]
        closest_y = self.y_train[nearest]
        y_pred[i] = _vote(closest_y)
    return y_pred
''',
}
# The same code: every name changed, reformatted, comments added, functions reordered.
DISGUISED = {
    "knn_two_loops": '''
def compute_distances_two_loops(me, data):
    # my own distance loop
    n_a = data.shape[0]; n_b = me.X_train.shape[0]
    out = np.zeros(( n_a, n_b ))

    for row in range(n_a):
        for col in range(n_b):
            delta = data[row] - me.X_train[col]
            out[row, col] = np.sqrt(
                np.sum(delta * delta)
            )
    return out
''',
    "knn_predict_labels": '''
def predict_labels(me, table, k=1):
    m = table.shape[0]
    result = np.zeros(m, dtype=me.y_train.dtype)
    for t in range(m):
        idx = np.argsort(table[t], kind='stable')[:k]
        ys = me.y_train[idx]
        result[t] = _majority(ys)
    return result


def _majority(values):
    tally = np.bincount(values)
    return np.argmax(tally)
''',
}
# Independent solutions of the same tasks.
OTHER = {
    "knn_two_loops": '''
def compute_distances_two_loops(self, X):
    out = []
    for test_row in X:
        row = []
        for train_row in self.X_train:
            row.append(float(np.linalg.norm(test_row - train_row)))
        out.append(row)
    return np.array(out)
''',
    "knn_predict_labels": '''
from collections import Counter

def predict_labels(self, dists, k=1):
    labels = []
    for d in dists:
        votes = Counter(self.y_train[np.argsort(d, kind="stable")[:k]].tolist())
        top = max(votes.values())
        labels.append(min(label for label, n in votes.items() if n == top))
    return np.array(labels)
''',
}
THIRD = {
    "knn_two_loops": '''
def compute_distances_two_loops(self, X):
    result = np.empty((len(X), len(self.X_train)))
    i = 0
    while i < len(X):
        j = 0
        while j < len(self.X_train):
            result[i, j] = ((X[i] - self.X_train[j]) ** 2).sum() ** 0.5
            j += 1
        i += 1
    return result
''',
    "knn_predict_labels": '''
def predict_labels(self, dists, k=1):
    order = np.argsort(dists, axis=1, kind="stable")[:, :k]
    nearest = self.y_train[order]
    return np.array([np.bincount(row).argmax() for row in nearest])
''',
}


def _submit(course, student, sources, notebook="knn"):
    folder = course / "submitted" / student / "a1"
    folder.mkdir(parents=True, exist_ok=True)
    nb = samples.fill(samples.released(notebook), sources)
    (folder / f"{notebook}.ipynb").write_text(nbhygiene.dumps(nb), encoding="utf-8")


def test_a_disguised_copy_ranks_above_independent_work(tmp_path):
    for student, sources in [("ann", ORIGINAL), ("bob", DISGUISED), ("cy", OTHER), ("dee", THIRD)]:
        _submit(tmp_path, student, sources)
    pairs, skipped = similarity.similarity("a1", tmp_path)
    assert skipped == []
    top = pairs[0]
    assert (top.a.student, top.b.student) == ("ann", "bob") and top.score > 0.9
    others = [p.score for p in pairs[1:]]
    assert all(score < 0.3 for score in others), [(p.a.student, p.b.student, p.score) for p in pairs]


def test_the_released_template_is_not_similarity(tmp_path):
    # Students who changed nothing, or wrote their own code into the template, share only the template.
    _submit(tmp_path, "blank1", {})
    _submit(tmp_path, "blank2", {})
    _submit(tmp_path, "own", OTHER)
    pairs, _ = similarity.similarity("a1", tmp_path)
    knn = {(p.a.student, p.b.student): p.score for p in pairs if p.notebook == "knn"}
    assert all(score < 0.05 for score in knn.values()), knn


def test_the_report_escapes_student_code(tmp_path):
    hostile = dict(ORIGINAL, knn_two_loops=ORIGINAL["knn_two_loops"] + "\n_x = '<script>alert(1)</script>'\n")
    _submit(tmp_path, "ann", hostile)
    _submit(tmp_path, "<img src=x onerror=alert(2)>", hostile)
    out = tmp_path / "report.html"
    assert cli.main(["similarity", "a1", "--course-dir", str(tmp_path), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<mark>" in page  # the matching lines are highlighted
    assert "default-src 'none'" in page


def test_a_class_of_thirty_runs_and_finds_the_copies(tmp_path):
    kinds = [ORIGINAL, OTHER, THIRD]
    for i in range(30):
        _submit(tmp_path, f"s{i:02d}", kinds[i % 3] if i < 3 else samples.reference_sources())
    _submit(tmp_path, "s30", DISGUISED)
    for notebook in ("svm", "softmax"):
        for i in range(5):
            _submit(tmp_path, f"s{i:02d}", samples.reference_sources(notebook), notebook)
    (tmp_path / "submitted" / "s31" / "a1").mkdir(parents=True)
    (tmp_path / "submitted" / "s31" / "a1" / "knn.ipynb").write_text("{not json", encoding="utf-8")
    pairs, skipped = similarity.write_report("a1", tmp_path, tmp_path / "r.html", top=20)
    assert len(skipped) == 1 and skipped[0].startswith("s31/knn.ipynb: ")
    knn = [(p.a.student, p.b.student) for p in pairs if p.notebook == "knn" and p.score > 0.9]
    assert ("s00", "s30") in knn
    assert (tmp_path / "r.html").stat().st_size > 0


def test_tokens_ignore_names_layout_and_comments():
    a = similarity.normalised_tokens("def f(a, b):\n    return np.sum(a*b)  # dot\n")
    b = similarity.normalised_tokens("def g(x,\n      y):\n\n    return np.sum( x * y )\n")
    assert [t for t, _ in a] == [t for t, _ in b]
    assert "sum" in [t for t, _ in a] and "range" in [t for t, _ in similarity.normalised_tokens("range(3)")]
    assert similarity.normalised_tokens("x = (1,\n") == [("V", 1), ("=", 1), ("(", 1), ("N", 1), (",", 1)]
