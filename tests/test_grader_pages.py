"""What staff and students open is safe: the formgrader view and the feedback pages.

A submission carries crafted markdown answers and cell outputs (scripts, event handlers,
images, frames, links, meta refresh, CSS ``url()``, SVG with script, ``javascript:`` and
``data:`` links, a hostile image size), every one aimed at a local listener that counts the
connections it gets. The fast tests check the cleaned notebook and the HTML nbgrader's own
``formgrade`` template makes of it; the slow ones grade the submission with the real batch,
open the formgrader page and the feedback page in headless Chromium and assert that the
listener got nothing while the honest answers (maths, a code block, an image the notebook
made) still render, and that formgrader shows each grade cell's checks beside it.
"""
import base64
import json
import re
import shutil
import struct
import subprocess
import threading
import zlib
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from dl4cv_grader import feedback, formgrade, gradebook, notebook_io, samples, sanitize
from dl4cv_grader.batch import grade_batch
from dl4cv_grader.manifest import REPO, load

CHROMIUM = Path("/usr/bin/chromium")
MATHS = r"$\sqrt{\sum_i (x_i - y_i)^2}$"
CODE = "dists = np.sqrt(((X - Y) ** 2).sum(axis=1))"


def png(width=4, height=3):
    """A real PNG (bytes): a red ``width x height`` image."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = base64.b64encode(png()).decode()


def hostile_html(url):
    """HTML that makes a browser contact ``url`` (the listener) in as many ways as we know."""
    return f"""<script>fetch("{url}/script")</script>
<img src="x" onerror="fetch('{url}/onerror')"><img src="{url}/img"><img srcset="{url}/srcset 1x">
<iframe src="{url}/iframe"></iframe><object data="{url}/object"></object><embed src="{url}/embed">
<link rel="stylesheet" href="{url}/link"><link rel="prefetch" href="{url}/prefetch">
<meta http-equiv="refresh" content="0;url={url}/refresh">
<div style="background-image:url({url}/cssurl)">styled</div>
<style>@import url({url}/import); body {{background: url({url}/style)}}</style>
<svg><script>fetch('{url}/svgscript')</script><image href="{url}/svgimage"/></svg>
<video poster="{url}/poster"></video><audio src="{url}/audio" autoplay></audio>
<input type="image" src="{url}/input"><input autofocus onfocus="fetch('{url}/focus')">
<details open ontoggle="fetch('{url}/toggle')"><summary>s</summary></details>
<table background="{url}/tablebg"><tr><td>t</td></tr></table>
<a href="javascript:fetch('{url}/js')">js link</a>
<a href="data:text/html,<script>fetch('{url}/data')</script>">data link</a>
"""


def hostile_markdown(url):
    return (f"My answer, with tricks.\n\n![md image]({url}/mdimage) and ![ref image][r]\n\n"
            f"[r]: {url}/refimage\n\n[js](javascript:fetch('{url}/mdjs')) [d](data:text/html,x)\n\n"
            + hostile_html(url))


def display(data, metadata=None):
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


def hostile_outputs(url):
    """Outputs of one cell, each a way the formgrader template would render something live."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("{url}/svgout")</script>'
           f'<image href="{url}/svgoutimage"/></svg>')
    size = {"image/png": {"width": f"1 onload=fetch(`{url}/width`)", "height": 3}}
    return [
        display({"text/html": hostile_html(url)}),
        display({"text/html": f"<img src='{url}/isolated'>"}, {"text/html": {"isolated": True}}),
        display({"image/svg+xml": svg}),
        display({"text/markdown": hostile_markdown(url)}),
        display({"application/javascript": f"fetch('{url}/jsout')"}),
        display({"image/png": f'x" onerror="fetch(`{url}/badpng`)'}),
        display({"image/png": PNG, "text/plain": "<Figure>"}, size),
        {"output_type": "execute_result", "execution_count": 3, "metadata": {},
         "data": {"text/html": f"<b>bold</b><img src='{url}/result'>", "text/plain": "x"}},
        {"output_type": "stream", "name": "stdout", "text": f"<script>fetch('{url}/stream')</script>\n"},
        {"output_type": "error", "ename": "E", "evalue": "v", "traceback": [f"<img src='{url}/trace'>"]},
        "not an output", 7,
    ]


RAISES = '''
def compute_distances_one_loop(self, X):
    raise ValueError("<img src='{url}/message'> <script>fetch('{url}/message2')</script>")
'''


def hostile_submission(url):
    """The reference answers with crafted answers and outputs (nbformat node); one task raises
    an error whose message carries HTML, so its check's message does."""
    nb = samples.fill(samples.released(), samples.reference_sources())
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    cells["knn_q1"].source = hostile_markdown(url)
    cells["knn_q1"].attachments = {"a.png": {"image/png": PNG}}
    cells["knn_q2"].source = f"The distance is {MATHS}.\n\n```python\n{CODE}\n```\n"
    cells["knn_q3"].source = "A **bold** claim."
    cells["knn_two_loops"].outputs = hostile_outputs(url)
    cells["knn_one_loop"].source = RAISES.format(url=url)
    return nb


class Listener(ThreadingHTTPServer):
    """A local HTTP server that counts every connection and request it gets."""

    def __init__(self):
        self.connections, self.paths = 0, []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                server.paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_HEAD = do_GET

            def log_message(self, *args):
                pass
        super().__init__(("127.0.0.1", 0), Handler)

    def verify_request(self, request, client_address):
        self.connections += 1
        return True

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


class Tags(HTMLParser):
    """Every (tag, attributes) of an HTML text."""

    def __init__(self, text):
        super().__init__()
        self.found = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_inert(html, url):
    """``html`` holds no tag or attribute that could run code or contact anything."""
    for tag, attrs in Tags(html).found:
        assert tag in sanitize.TAGS, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in ("style", "srcset", "background"), (tag, name)
            if name == "src":
                assert value.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")), value
            if name == "href":
                assert value.startswith(("http:", "https:", "mailto:")) and url not in value, value


# ---- fast: the cleaning itself and nbgrader's formgrade template -----------------------


@pytest.mark.parametrize("fragment", [line for line in hostile_html("http://127.0.0.1:9").splitlines() if line])
def test_clean_html_leaves_nothing_live(fragment):
    assert_inert(sanitize.clean_html(fragment), "http://127.0.0.1:9")


def test_html_nested_deeper_than_any_answer_is_shown_as_text():
    # The parser's time grows with the square of the depth: 150 KB of <div> took a minute.
    url = "http://127.0.0.1:9"
    html = sanitize.clean_html("<ul><li>" * 3000 + f"<img src='{url}/deep'>")
    assert html.startswith("<p>[HTML nested more than 100") and "&lt;ul&gt;&lt;li&gt;" in html
    assert_inert(html, url)
    assert sanitize.clean_html("<div></x>" * 200).startswith("<p>[HTML nested")  # </x> closes nothing
    assert sanitize.clean_html("<ul><li>" * 40 + "x").count("<li>") == 40  # honest nesting is kept


def test_markdown_keeps_maths_code_and_embedded_images_and_drops_the_rest():
    url = "http://127.0.0.1:9"
    images = f"![plot](data:image/png;base64,{PNG}) ![x](data:image/svg+xml;base64,PHN2Zz4=)"
    html = sanitize.markdown_html(f"Distance {MATHS}, $a < b$\n\n```python\n{CODE}\n```\n\n{images}\n\n"
                                  + hostile_markdown(url))
    assert_inert(html, url)
    assert MATHS in html and "$a &lt; b$" in html
    assert "<pre>" in html and "dists" in html and "sqrt" in html
    assert html.count(f'src="data:image/png;base64,{PNG}"') == 1 and "svg" not in html


def test_outputs_keep_only_what_is_safe_to_show():
    url = "http://127.0.0.1:9"
    cleaned = sanitize.clean_outputs(hostile_outputs(url))
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=cleaned)]))
    assert len(cleaned) == 10  # the two that are not outputs are gone
    kinds = [sorted(o.get("data", {})) for o in cleaned]
    assert kinds[2] == kinds[4] == kinds[5] == ["text/plain"]  # svg, javascript, a broken png: a note
    assert "image/svg+xml" in cleaned[2]["data"]["text/plain"]
    assert cleaned[6]["data"]["image/png"] == PNG and cleaned[6]["metadata"] == {"image/png": {"height": 3}}
    assert all(o.get("metadata", {}) in ({}, {"image/png": {"height": 3}}) for o in cleaned)
    for out in cleaned:
        if "text/html" in out.get("data", {}):
            assert_inert(out["data"]["text/html"], url)
    assert cleaned[7]["execution_count"] == 3 and cleaned[7]["data"]["text/html"].startswith("<b>bold</b>")


def _view(nb, tmp_path, checks):
    path = tmp_path / "knn.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")  # nbformat would refuse the junk outputs
    sub = notebook_io.read_submission(path)
    mapping, _ = notebook_io.map_submission(sub, load("a1")["notebooks"]["knn"])
    return formgrade.view(sub, mapping.found, REPO / "assignments" / "a1" / "knn.ipynb", checks)


def formgrade_html(view, base_url=""):
    """The page nbgrader's formgrader serves for ``view`` (its own template and exporter set-up)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[handlers.template_path])
    html, _ = exporter.from_notebook_node(view, resources={
        "assignment_id": "a1", "notebook_id": "knn", "submission_id": "s1", "index": 0, "total": 1,
        "base_url": base_url, "student": "student", "last_name": None, "first_name": None,
        "notebook_path": "autograded/student/a1/knn.ipynb"})
    return html


def _notebook_part(html):
    return html[html.index('id="notebook-container"'):html.index('<div class="help">')]


def test_formgrade_page_of_crafted_answers_is_inert_and_keeps_honest_answers(tmp_path):
    url = "http://127.0.0.1:9"
    rows = [{"check_id": "a1.knn.one_loop", "grade_cell": "knn_one_loop_check", "status": "error",
             "score": 0.0, "max_score": 3.0, "message": f"your code raised ValueError: <img src='{url}/m'>"}]
    view = _view(hostile_submission(url), tmp_path, rows)
    part = _notebook_part(formgrade_html(view))
    for tag, attrs in Tags(part).found:  # the listener's address is left only as escaped text
        assert tag not in ("script", "iframe", "object", "embed", "link", "meta", "style", "svg"), tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert not [v for v in attrs.values() if url in (v or "")], (tag, attrs)
    assert MATHS.replace("<", "&lt;") in part and "dists" in part
    assert f'src="data:image/png;base64,{PNG}"' in part
    assert "your code raised ValueError: &lt;img" in part and "0 / 3" in part


# ---- slow: the real batch, nbgrader, and a real browser ----------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory, listener):
    course = tmp_path_factory.mktemp("course")
    path = course / "submitted" / "student" / "a1" / "knn.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(hostile_submission(listener.url)), encoding="utf-8")
    summary = grade_batch("a1", course, jobs=1, progress=lambda line: None)
    assert summary.failed == [] and [r["notebook"] for r in summary.records if not r["ungradable"]] == ["knn"]
    feedback.feedback("a1", course)
    return course, next(r for r in summary.records if r["notebook"] == "knn")


@pytest.mark.slow
def test_nbgrader_finds_every_cell_of_the_view_in_the_gradebook(course):
    from nbgrader.preprocessors import GetGrades

    course_dir, record = course
    view = nbformat.read(course_dir / "autograded" / "student" / "a1" / "knn.ipynb", as_version=4)
    resources = {"nbgrader": {"notebook": "knn", "assignment": "a1", "student": "student",
                              "db_url": gradebook.db_url(course_dir)}}
    view, resources = GetGrades().preprocess(view, resources)
    scores = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["score"]
              for c in view.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert {gid: scores[gid] for gid in record["grade_cells"]} == {
        gid: cell["score"] for gid, cell in record["grade_cells"].items()}
    assert record["grade_cells"]["knn_one_loop_check"]["score"] == 0
    assert resources["nbgrader"]["score"] == record["score"] == 13


def chromium_dom(url, profile):
    """The DOM (str) of ``url`` after headless Chromium has loaded it and run its scripts."""
    run = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", url],
        capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def pages(course, listener, tmp_path_factory):
    """An HTTP server (not the listener) for the formgrader page, nbgrader's static files and
    the feedback page, as Jupyter would serve them; the Chromium DOM of both pages."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Chromium (apt-get install chromium) to run the "
                    "browser tests of the pages staff and students open")
    from nbgrader.server_extensions.formgrader import handlers

    course_dir, _ = course
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(Path(handlers.__file__).parent / "static", root / "formgrader" / "static")
    shutil.copy(course_dir / "feedback" / "student" / "a1" / "knn.html", root / "feedback.html")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}"
    view = nbformat.read(course_dir / "autograded" / "student" / "a1" / "knn.ipynb", as_version=4)
    (root / "formgrade.html").write_text(formgrade_html(view, base_url=site), encoding="utf-8")
    profile = tmp_path_factory.mktemp("chromium-profile")
    doms = {name: chromium_dom(f"{site}/{name}.html", profile) for name in ("formgrade", "feedback")}
    server.shutdown()
    return doms


@pytest.mark.slow
def test_opening_the_pages_contacts_nothing_the_student_chose(pages, listener):
    assert "jquery" in pages["formgrade"].lower() and "Checks of knn_two_loops" in pages["feedback"]
    assert (listener.connections, listener.paths) == (0, [])


@pytest.mark.slow
@pytest.mark.parametrize("page", ["formgrade", "feedback"])
def test_honest_answers_still_render(pages, page):
    dom = pages[page]
    assert MATHS.replace("<", "&lt;") in dom  # left for MathJax in formgrader, as text in feedback
    assert re.search(r"<pre>.*dists.*sqrt", dom, re.S)
    assert re.search(rf'<img [^>]*src="data:image/png;base64,{re.escape(PNG)}"', dom)
    assert "<strong>bold</strong>" in dom  # markdown rendered as markdown
    assert "javascript:" not in dom and "data:text/html" not in dom


@pytest.mark.slow
def test_formgrader_shows_each_check_beside_its_grade_cell(pages, course):
    dom, (_, record) = pages["formgrade"], course
    for gid in record["grade_cells"]:
        assert f'id="{gid}"' in dom  # the score box formgrader fills from the gradebook
    grade_cell, message = dom.index('id="knn_one_loop_check"'), dom.index("a1.knn.one_loop</td>")
    assert grade_cell < message < dom.index('id="knn_no_loops_check"')
    row = dom[message:dom.index("</tr>", message)]
    assert "error" in row and "0 / 3" in row and "ValueError: &lt;img" in row
