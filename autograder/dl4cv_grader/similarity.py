"""Code similarity between the submissions of an assignment (a MOSS-style report).

``similarity(assignment, course_dir)`` compares the graded cells of every pair of
submissions of each notebook and ranks the pairs; ``write_report`` writes them as one
self-contained HTML page with the matching lines side by side. It reports; it never
changes a grade.

Method (winnowing, Schleimer, Wilkerson and Aiken 2003, as in MOSS):

1. **Cells**: each submission's graded solution cells, found by the grader's own
   ``map_cells`` (so a moved, copied or split cell is the one that is graded).
2. **Tokens**: Python's tokenizer, normalised: every identifier becomes ``V`` except
   keywords, builtins and attribute names after a dot (``np.sum`` stays ``V.sum``, the
   names a student picks vanish); numbers become ``N``, strings ``S``; comments and blank
   lines are dropped; a statement end and ``;`` are the same token. Renaming variables and
   reformatting change nothing.
3. **Fingerprints**: hashes of every run of ``K`` tokens, of which each window of ``W``
   consecutive hashes keeps its smallest (winnowing): any common run of ``K + W - 1``
   tokens or more is found. Fingerprints are a set, so reordered functions still match.
4. **Shared code is not similarity**: fingerprints of the released template of the
   graded cells (the starter code everyone has), and fingerprints found in more than
   ``max(COMMON_MIN, COMMON_SHARE * students)`` submissions (code nearly everyone writes),
   are dropped.
5. **Score** of a pair: shared fingerprints / the smaller submission's fingerprints, with
   at least ``MIN_FINGERPRINTS`` in the denominator so that a few identical lines in two
   almost empty submissions do not rank as copies.
"""
import builtins
import hashlib
import html
import io
import keyword
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dl4cv.submit import identify
from dl4cv_grader import manifest as manifests, notebook_io
from dl4cv_grader.manifest import REPO

K = 10
W = 6
COMMON_MIN = 5
COMMON_SHARE = 0.25
MIN_FINGERPRINTS = 12
MAX_TOKENS = 100_000  # per task: far above any honest solution, bounds the work a huge cell costs
_BUILTINS = frozenset(dir(builtins))
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER, tokenize.ERRORTOKEN}


def normalised_tokens(source):
    """``[(token, line)]`` of ``source`` normalised as the module docstring says (line is
    1-based in ``source``). Text that stops tokenizing (a syntax error) ends the list there, and
    so does the MAX_TOKENS-th token."""
    out, previous = [], ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _SKIP:
                continue
            if tok.type == tokenize.NAME:
                text = tok.string if (keyword.iskeyword(tok.string) or tok.string in _BUILTINS
                                      or previous == ".") else "V"
            elif tok.type == tokenize.NUMBER:
                text = "N"
            elif tok.type == tokenize.STRING:
                text = "S"
            elif tok.type == tokenize.NEWLINE or tok.string == ";":
                text = ";"
            elif tok.type == tokenize.INDENT:
                text = "{"
            elif tok.type == tokenize.DEDENT:
                text = "}"
            else:
                text = tok.string
            out.append((text, tok.start[0]))
            previous = tok.string
            if len(out) >= MAX_TOKENS:
                break
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def _hash(tokens):
    return hashlib.blake2b("\x1f".join(tokens).encode(), digest_size=8).digest()


def kgram_hashes(tokens):
    """The hash of every run of K tokens (``tokens``: texts)."""
    return [_hash(tokens[i:i + K]) for i in range(len(tokens) - K + 1)]


def winnow(hashes):
    """``{hash: [positions]}`` kept by winnowing (the rightmost smallest hash of each window)."""
    kept = defaultdict(list)
    last = -1
    for start in range(max(len(hashes) - W + 1, 1 if hashes else 0)):
        window = hashes[start:start + W]
        low = min(window)
        pos = start + max(i for i, h in enumerate(window) if h == low)
        if pos != last:
            kept[hashes[pos]].append(pos)
            last = pos
    return kept


@dataclass
class Submission:
    """One student's graded code of one notebook, fingerprinted."""

    student: str
    sources: dict  # task grade_id -> source
    fingerprints: dict = field(default_factory=dict)  # hash -> [(task, first line, last line)]


def fingerprint(student, sources, ignore=frozenset()):
    """A :class:`Submission` of ``sources`` (task -> source), without the hashes in ``ignore``."""
    sub = Submission(student, dict(sources))
    for task, source in sources.items():
        tokens = normalised_tokens(source)
        texts = [t for t, _ in tokens]
        for digest, positions in winnow(kgram_hashes(texts)).items():
            if digest in ignore:
                continue
            sub.fingerprints.setdefault(digest, []).extend(
                (task, tokens[p][1], tokens[p + K - 1][1]) for p in positions)
    return sub


def template_hashes(sources):
    """Every k-gram hash of the released template cells (``sources``: task -> source)."""
    return frozenset(h for source in sources.values()
                     for h in kgram_hashes([t for t, _ in normalised_tokens(source)]))


@dataclass
class Pair:
    """Two submissions of one notebook and how much graded code they share."""

    notebook: str
    a: Submission
    b: Submission
    shared: int  # fingerprints in common
    score: float  # shared / max(min(len(a), len(b)), MIN_FINGERPRINTS), in [0, 1]

    def marked(self, side):
        """task -> set of line numbers of ``side`` ("a" or "b") covered by shared fingerprints."""
        mine, other = (self.a, self.b) if side == "a" else (self.b, self.a)
        lines = defaultdict(set)
        for digest in mine.fingerprints.keys() & other.fingerprints.keys():
            for task, first, last in mine.fingerprints[digest]:
                lines[task].update(range(first, last + 1))
        return lines


def rank(notebook, submissions, template=frozenset()):
    """Every pair of ``submissions`` ({student: {task: source}}) that shares fingerprints,
    best first (score, then shared fingerprints, then names)."""
    prints = {student: fingerprint(student, sources, template) for student, sources in submissions.items()}
    owners = defaultdict(list)
    for student, sub in prints.items():
        for digest in sub.fingerprints:
            owners[digest].append(student)
    common = max(COMMON_MIN, COMMON_SHARE * len(prints))
    for digest, students in owners.items():
        if len(students) > common:
            for student in students:
                del prints[student].fingerprints[digest]
    counts = Counter()
    for digest, students in owners.items():
        if len(students) <= common:
            ordered = sorted(students)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1:]:
                    counts[a, b] += 1
    pairs = []
    for (a, b), shared in counts.items():
        size = max(min(len(prints[a].fingerprints), len(prints[b].fingerprints)), MIN_FINGERPRINTS)
        pairs.append(Pair(notebook, prints[a], prints[b], shared, min(shared / size, 1.0)))
    return sorted(pairs, key=lambda p: (-p.score, -p.shared, p.a.student, p.b.student))


def _released_template(assignment, notebook, notebook_manifest, repo):
    release = nbformat.read(Path(repo) / "assignments" / assignment / f"{notebook}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") in notebook_manifest["tasks"]}


def collected(course_dir, assignment, manifest):
    """``({notebook: {student: {task: source}}}, [skipped lines])`` for the regular notebook
    files under ``<course>/submitted/<student>/<assignment>/`` (read like the grader reads them)."""
    by_notebook, skipped = defaultdict(dict), []
    for folder in sorted((Path(course_dir) / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        if folder.is_symlink() or folder.parent.is_symlink():
            skipped.append(f"{student}: the folder is a link; it is not followed")
            continue
        for path in sorted(folder.glob("*.ipynb")):
            sub = notebook_io.read_submission(path)
            if sub.fatal:
                skipped.append(f"{student}/{path.name}: {sub.fatal}")
                continue
            notebook, _ = identify(path, sub.cells, manifest)
            if notebook is None or student in by_notebook[notebook]:
                skipped.append(f"{student}/{path.name}: not a notebook of {assignment}, or a second copy")
                continue
            _, code = notebook_io.map_submission(sub, manifest["notebooks"][notebook])
            by_notebook[notebook][student] = {gid: code.source(gid)
                                              for gid in manifests.task_order(manifest["notebooks"][notebook])}
    return dict(by_notebook), skipped


def similarity(assignment, course_dir, repo=REPO, manifest=None):
    """``(pairs, skipped)``: the ranked pairs of every notebook of ``assignment`` (best first
    over all notebooks) and the submissions that could not be compared, with the reason."""
    manifest = manifest or manifests.load(assignment)
    by_notebook, skipped = collected(course_dir, assignment, manifest)
    pairs = []
    for notebook, submissions in by_notebook.items():
        template = template_hashes(_released_template(assignment, notebook, manifest["notebooks"][notebook], repo))
        pairs += rank(notebook, submissions, template)
    return sorted(pairs, key=lambda p: (-p.score, -p.shared, p.notebook, p.a.student, p.b.student)), skipped


_STYLE = """body{font-family:sans-serif;margin:2em}table.code{border-collapse:collapse;width:100%}
td{vertical-align:top;width:50%;padding:0 .5em}pre{margin:0;font-size:12px;white-space:pre-wrap}
mark{background:#ffd54f}h2{margin-top:2em}.rank td{width:auto;border-bottom:1px solid #ddd}"""


def _code(source, lines):
    rows = []
    for number, line in enumerate(source.split("\n"), start=1):
        text = html.escape(f"{number:4d}  {line}")
        rows.append(f"<mark>{text}</mark>" if number in lines else text)
    return "<pre>" + "\n".join(rows) + "</pre>"


def report_html(assignment, pairs, skipped=()):
    """The report page for ``pairs`` (already cut to the ones to show). Everything taken from
    submissions is escaped, and the page forbids scripts and outside resources (CSP)."""
    e = html.escape
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           f"<title>similarity {e(assignment)}</title><style>{_STYLE}</style></head><body>",
           f"<h1>Code similarity, {e(assignment)}</h1>",
           "<p>Graded cells only; the released template and code most of the class shares do not count. "
           "A high score is a reason to look, not a finding: this report changes no grade.</p>",
           "<table class='rank'><tr><th>#</th><th>notebook</th><th>student</th><th>student</th>"
           "<th>score</th><th>shared fingerprints</th></tr>"]
    for i, p in enumerate(pairs, start=1):
        out.append(f"<tr><td><a href='#pair{i}'>{i}</a></td><td>{e(p.notebook)}</td><td>{e(p.a.student)}</td>"
                   f"<td>{e(p.b.student)}</td><td>{p.score:.0%}</td><td>{p.shared}</td></tr>")
    out.append("</table>")
    for i, p in enumerate(pairs, start=1):
        out.append(f"<h2 id='pair{i}'>{i}. {e(p.notebook)}: {e(p.a.student)} and {e(p.b.student)}, "
                   f"{p.score:.0%}</h2>")
        marks_a, marks_b = p.marked("a"), p.marked("b")
        for task in p.a.sources:
            if not (marks_a.get(task) or marks_b.get(task)):
                continue
            out.append(f"<h3>{e(task)}</h3><table class='code'><tr><th>{e(p.a.student)}</th>"
                       f"<th>{e(p.b.student)}</th></tr><tr><td>{_code(p.a.sources[task], marks_a.get(task, ()))}</td>"
                       f"<td>{_code(p.b.sources.get(task, ''), marks_b.get(task, ()))}</td></tr></table>")
    if skipped:
        out.append("<h2>Not compared</h2><ul>" + "".join(f"<li>{e(line)}</li>" for line in skipped) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(assignment, course_dir, out, top=50, repo=REPO):
    """Rank every pair of ``assignment``'s submissions and write the ``top`` pairs to the HTML
    file ``out``; returns ``(pairs, skipped)`` (all pairs, not only the top)."""
    pairs, skipped = similarity(assignment, course_dir, repo=repo)
    Path(out).write_text(report_html(assignment, pairs[:top], skipped), encoding="utf-8")
    return pairs, skipped
