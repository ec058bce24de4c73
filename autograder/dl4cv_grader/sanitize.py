"""Make what students wrote safe to show in a browser: their markdown, HTML and cell outputs.

Everything from a submission that reaches a page staff or students open (the formgrader view,
the feedback pages) goes through this module. The rule, in one place:

- HTML is cleaned by nh3 with an allow-list of text, list, table, code, link and image tags
  (``TAGS``) and a few attributes (``ATTRIBUTES``); no ``class``, ``style``, ``id`` or ``on*``
  attribute survives, and ``script``, ``style``, ``iframe``, ``object``, ``form``, ``meta``,
  ``link``, ``base``, ``svg``... are removed.
- Links (``a href``) may be ``http``, ``https`` or ``mailto`` only: never ``javascript:``,
  ``data:`` or relative (the page's own server); they need a click and get
  ``rel="noopener noreferrer nofollow"``. Images (``img src``) may only be PNG, JPEG, GIF or
  WebP embedded as valid base64 ``data:`` URLs, so showing a page never fetches anything.
- HTML nested more than ``MAX_DEPTH`` elements deep is shown as escaped text instead:
  the parser's time grows with the square of the depth (a 150 KB answer of ``<div>`` took
  a minute), and no honest answer or output nests that deep.
- Markdown is rendered to HTML with nbconvert's own renderer (maths ``$...$`` and code blocks
  kept), then cleaned as above.
- Outputs keep an allow-list of MIME types: ``text/plain``; ``text/html`` and ``text/markdown``
  (cleaned, the markdown as HTML); ``image/png`` and ``image/jpeg`` only when their base64
  decodes to such an image. Others (``image/svg+xml``, which can carry scripts,
  ``application/javascript``, widgets) are dropped, with a one-line note when nothing else
  is left. Output metadata is dropped except numeric image sizes.
"""
import base64
import binascii
import html as html_text
import re

import nbformat
import nh3
from nbconvert.filters import markdown2html_mistune

TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
        "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
        "s", "samp", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "u", "ul"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
              "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align"},
              "ol": {"start"}}
LINK_SCHEMES = ("http:", "https:", "mailto:")
IMAGE_MIMES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff",
               "image/gif": b"GIF8", "image/webp": b"RIFF"}
OUTPUT_IMAGES = ("image/png", "image/jpeg")  # what nbconvert and the feedback page show
_DATA_URL = re.compile(r"data:(image/[a-z]+);base64,(.*)", re.S | re.I)
MAX_DEPTH = 100
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)[^<>]*>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"}


def text(value):
    """A notebook string field (a str or a list of str, or junk) as one str."""
    if isinstance(value, list):
        return "".join(v if isinstance(v, str) else "" for v in value)
    return value if isinstance(value, str) else ""


def image_data(mime, data):
    """The base64 text of an embedded image, whitespace removed, if it decodes to a ``mime``
    image (by its signature); else None."""
    data = re.sub(r"\s+", "", text(data))
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if mime in IMAGE_MIMES and raw.startswith(IMAGE_MIMES[mime]) else None


def _keep_attribute(tag, attribute, value):
    if tag == "a" and attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    if tag == "img" and attribute == "src":
        match = _DATA_URL.fullmatch(value.strip())
        data = match and image_data(match.group(1).lower(), match.group(2))
        return f"data:{match.group(1).lower()};base64,{data}" if data else None
    return value


def _too_deep(html):
    """Whether ``html`` may nest more than ``MAX_DEPTH`` elements (a linear-time upper bound
    of the depth an HTML parser builds: a closing tag counts only if its element is open)."""
    open_tags = []
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if not closing and name not in _VOID:
            open_tags.append(name)
            if len(open_tags) > MAX_DEPTH:
                return True
        elif closing and name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name):]
    return False


def clean_html(html):
    """``html`` (a fragment, str) with only the allowed tags, attributes and URLs (module
    docstring); nested too deep, the whole fragment as escaped text."""
    if _too_deep(html):
        return (f"<p>[HTML nested more than {MAX_DEPTH} elements deep, shown as text]</p>"
                f"<pre>{html_text.escape(html)}</pre>")
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_keep_attribute,
                     url_schemes={"http", "https", "mailto", "data"}, url_relative="deny",
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def markdown_html(source):
    """A markdown cell's source rendered as nbconvert renders it (maths left for MathJax),
    then cleaned: safe HTML (str)."""
    return clean_html(markdown2html_mistune(text(source)))


def _output_data(data, metadata):
    """(data, metadata) of a display output with only the allowed MIME types, cleaned."""
    data = data if isinstance(data, dict) else {}
    metadata = metadata if isinstance(metadata, dict) else {}
    clean, sizes = {}, {}
    if "text/html" in data or "text/markdown" in data:
        clean["text/html"] = (clean_html(text(data["text/html"])) if "text/html" in data
                              else markdown_html(data["text/markdown"]))
    for mime in OUTPUT_IMAGES:
        image = image_data(mime, data.get(mime))
        if image:
            clean[mime] = image
            size = metadata.get(mime) if isinstance(metadata.get(mime), dict) else {}
            sizes[mime] = {k: v for k, v in size.items()
                           if k in ("width", "height") and type(v) in (int, float) and v > 0}
    if "text/plain" in data:
        clean["text/plain"] = text(data["text/plain"])
    dropped = sorted(set(data) - set(clean) - {"text/markdown"})
    if dropped and not clean:
        clean["text/plain"] = f"[output not shown: {', '.join(dropped)[:200]} is not displayed by the grader]"
    return clean, {mime: size for mime, size in sizes.items() if size}


def clean_output(output):
    """A notebook output (any JSON from a submission) as a valid nbformat output holding only
    what is safe to show (module docstring); None when it is not an output at all."""
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=text(output.get("text")))
    if kind == "error":
        trace = output.get("traceback") if isinstance(output.get("traceback"), list) else []
        return nbformat.v4.new_output("error", ename=text(output.get("ename")),
                                      evalue=text(output.get("evalue")),
                                      traceback=[text(line) for line in trace])
    if kind in ("execute_result", "display_data"):
        data, metadata = _output_data(output.get("data"), output.get("metadata"))
        if kind == "display_data":
            return nbformat.v4.new_output(kind, data=data, metadata=metadata)
        count = output.get("execution_count")
        return nbformat.v4.new_output(kind, data=data, metadata=metadata,
                                      execution_count=count if type(count) is int else None)
    return None


def clean_outputs(outputs):
    """:func:`clean_output` of each entry of a cell's ``outputs`` (anything), the rest dropped."""
    cleaned = (clean_output(out) for out in (outputs if isinstance(outputs, list) else []))
    return [out for out in cleaned if out is not None]
