"""Wire format between the trusted grader and the sandboxed worker.

Self-contained (standard library + NumPy only): ``worker.py`` and this file are copied
together into a directory the sandbox can see, while the rest of ``dl4cv_grader`` is hidden.

A frame is::

    b"DLCV"  u32 json_len  u32 n_buffers  n_buffers x u64 buffer_len  JSON  buffer_0 ...

(all integers big-endian). The JSON encodes one *plain data* value as a tagged tree:

===================  ===========================================================
Python value          JSON
===================  ===========================================================
None, bool, str       null, true/false, string
int, float            number (floats always carry ``.``/``e``; NaN and infinities
                      use Python's ``NaN``/``Infinity`` spellings)
list / tuple          ``{"l": [...]}`` / ``{"t": [...]}``
dict (str keys)       ``{"d": [[key, value], ...]}``
complex               ``{"c": [real, imag]}``
numpy.ndarray         ``{"a": buffer_index, "dtype": "<f8", "shape": [...]}``
===================  ===========================================================

NumPy scalars travel as Python numbers. Arrays carry C-order bytes in their own buffer,
from an allow-list of numeric and bool dtypes only. There is no pickle anywhere.

Decoding assumes a hostile peer: every length is checked against caps *before* anything is
allocated, JSON errors, unknown tags, object dtypes, shapes that disagree with the byte count,
unused or reused buffers and over-deep nesting all raise :class:`ProtocolError`.
"""
import json
import math
import socket
import struct
import time

import numpy as np

MAGIC = b"DLCV"
#: Largest whole frame (JSON + buffers), in bytes.
MAX_FRAME_BYTES = 256 * 2**20
#: Largest JSON part of a frame, in bytes.
MAX_JSON_BYTES = 16 * 2**20
#: Most arrays in one frame.
MAX_BUFFERS = 4096
#: Deepest nesting of lists, tuples and dicts.
MAX_DEPTH = 32
#: Most dimensions of one array.
MAX_NDIM = 32
#: Most values (nodes) in one decoded tree.
MAX_NODES = 2_000_000

#: Dtypes allowed on the wire: little-endian numeric types and bool.
ALLOWED_DTYPES = frozenset(
    np.dtype(name).newbyteorder("<").str
    for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "complex64", "complex128",
    )
)

_PREFIX = struct.Struct(">4sII")
_LENGTH = struct.Struct(">Q")


class ProtocolError(Exception):
    """A frame or value that breaks the wire format (malformed, too big or not plain data)."""


class NotPlainData(ProtocolError):
    """A value that cannot be sent: only plain data (see the module docstring) crosses."""


def _encode_node(value, buffers, depth):
    """Tagged JSON-ready tree for ``value``; arrays are appended to ``buffers``."""
    if depth > MAX_DEPTH:
        raise NotPlainData(f"nesting deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is complex:
        return {"c": [value.real, value.imag]}
    if isinstance(value, (np.bool_, np.number)):
        item = value.item()
        if type(item) not in (bool, int, float, complex):
            raise NotPlainData(f"{kind.__name__} has no exact Python number type")
        return _encode_node(item, buffers, depth)
    if kind in (list, tuple):
        items = [_encode_node(item, buffers, depth + 1) for item in value]
        return {"l" if kind is list else "t": items}
    if kind is dict:
        pairs = []
        for key, item in value.items():
            if type(key) is not str:
                raise NotPlainData(f"dict key {type(key).__name__} is not a str")
            pairs.append([key, _encode_node(item, buffers, depth + 1)])
        return {"d": pairs}
    if isinstance(value, np.ndarray):
        return _encode_array(value, buffers)
    raise NotPlainData(f"a {kind.__module__}.{kind.__qualname__} is not plain data")


def _encode_array(array, buffers):
    """Tagged node for an ndarray, its C-order little-endian bytes appended to ``buffers``."""
    array = np.asarray(array)
    wire = array.dtype.newbyteorder("<") if array.dtype.byteorder != "|" else array.dtype
    if wire.str not in ALLOWED_DTYPES:
        raise NotPlainData(f"arrays of dtype {array.dtype} cannot be sent (numbers or bool only)")
    if len(buffers) >= MAX_BUFFERS:
        raise NotPlainData(f"more than {MAX_BUFFERS} arrays in one message")
    data = np.ascontiguousarray(array, dtype=wire)
    buffers.append(memoryview(data).cast("B") if data.size else b"")
    return {"a": len(buffers) - 1, "dtype": wire.str, "shape": list(array.shape)}


def encode(value):
    """Frame bytes (as a list of byte chunks) carrying ``value``; raises :class:`NotPlainData`."""
    buffers = []
    tree = _encode_node(value, buffers, 0)
    try:
        body = json.dumps(tree, separators=(",", ":")).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as exc:
        raise NotPlainData(str(exc)) from None
    if len(body) > MAX_JSON_BYTES:
        raise NotPlainData(f"message JSON is {len(body)} bytes (cap {MAX_JSON_BYTES})")
    sizes = [len(buf) if isinstance(buf, bytes) else buf.nbytes for buf in buffers]
    if len(body) + sum(sizes) > MAX_FRAME_BYTES:
        raise NotPlainData(f"message is larger than {MAX_FRAME_BYTES // 2**20} MB")
    head = _PREFIX.pack(MAGIC, len(body), len(buffers)) + b"".join(_LENGTH.pack(n) for n in sizes)
    return [head, body, *buffers]


class _Decoder:
    """Turns one validated JSON tree plus its buffers back into plain data."""

    def __init__(self, buffers):
        self.buffers = buffers
        self.used = set()
        self.nodes = 0

    def node(self, tree, depth):
        """The plain value for one tagged ``tree`` node."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ProtocolError(f"more than {MAX_NODES} values in one message")
        if depth > MAX_DEPTH:
            raise ProtocolError(f"nesting deeper than {MAX_DEPTH} levels")
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is not dict or len(tree) not in (1, 3):
            raise ProtocolError(f"unexpected JSON node {type(tree).__name__}")
        if len(tree) == 3:
            return self.array(tree)
        (tag, body), = tree.items()
        if tag in ("l", "t") and type(body) is list:
            items = [self.node(item, depth + 1) for item in body]
            return items if tag == "l" else tuple(items)
        if tag == "d" and type(body) is list:
            return self.mapping(body, depth)
        if tag == "c" and type(body) is list and len(body) == 2 and all(type(x) in (int, float) for x in body):
            return complex(body[0], body[1])
        raise ProtocolError(f"unknown or malformed tag {tag!r}")

    def mapping(self, pairs, depth):
        """A dict from ``[[key, value], ...]`` with unique str keys."""
        result = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise ProtocolError("dict entries must be [str, value] pairs")
            if pair[0] in result:
                raise ProtocolError(f"duplicate dict key {pair[0]!r}")
            result[pair[0]] = self.node(pair[1], depth + 1)
        return result

    def array(self, tree):
        """An ndarray node whose dtype, shape and byte count all agree."""
        index, dtype, shape = tree.get("a"), tree.get("dtype"), tree.get("shape")
        if type(index) is not int or not 0 <= index < len(self.buffers) or index in self.used:
            raise ProtocolError(f"array refers to a missing or reused buffer {index!r}")
        if type(dtype) is not str or dtype not in ALLOWED_DTYPES:
            raise ProtocolError(f"dtype {dtype!r} is not allowed (numbers or bool only)")
        if (type(shape) is not list or len(shape) > MAX_NDIM
                or not all(type(n) is int and n >= 0 for n in shape)):
            raise ProtocolError(f"bad array shape {shape!r}")
        itemsize = np.dtype(dtype).itemsize
        buffer = self.buffers[index]
        if math.prod(shape) * itemsize != len(buffer):
            raise ProtocolError(f"array of shape {shape} and dtype {dtype} does not match {len(buffer)} bytes")
        self.used.add(index)
        try:  # e.g. a dimension of 2**64 beside a zero one: no bytes, but no such array either
            return np.frombuffer(buffer, dtype=np.dtype(dtype)).reshape(shape)
        except (ValueError, OverflowError) as exc:
            raise ProtocolError(f"bad array shape {shape!r}: {exc}") from None


def decode(body, buffers):
    """Plain data from a frame's JSON ``body`` (bytes) and its ``buffers`` (bytearrays)."""
    try:
        tree = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed JSON: {exc}") from None
    decoder = _Decoder(buffers)
    value = decoder.node(tree, 0)
    if len(decoder.used) != len(buffers):
        raise ProtocolError("frame carries buffers no array refers to")
    return value


def _recv_exact(sock, size, deadline=None):
    """Exactly ``size`` bytes from ``sock`` as a (writable) bytearray; EOFError if it closes.

    ``deadline`` (a ``time.monotonic()`` value) bounds the whole read: a socket timeout only
    bounds each ``recv``, so a peer dripping one byte at a time would otherwise never time out.
    """
    data = bytearray(size)
    view = memoryview(data)
    got = 0
    while got < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("frame not complete before the deadline")
            sock.settimeout(remaining)
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            raise EOFError("peer closed the connection")
        got += n
    return data


def read_frame(sock, max_frame=MAX_FRAME_BYTES, deadline=None):
    """Read and decode one frame from a connected socket.

    Raises :class:`ProtocolError` for anything malformed, ``EOFError`` if the peer closed,
    and whatever ``sock`` raises on timeout (``socket.timeout``/``TimeoutError``), including
    when the whole frame has not arrived by ``deadline`` (``time.monotonic()``; None: no bound
    beyond the socket's own per-``recv`` timeout).
    """
    magic, json_len, n_buffers = _PREFIX.unpack(_recv_exact(sock, _PREFIX.size, deadline))
    if magic != MAGIC:
        raise ProtocolError("bad frame magic")
    if json_len > min(MAX_JSON_BYTES, max_frame) or n_buffers > MAX_BUFFERS:
        raise ProtocolError(f"frame header announces {json_len} JSON bytes and {n_buffers} buffers")
    raw = _recv_exact(sock, _LENGTH.size * n_buffers, deadline)
    sizes = [_LENGTH.unpack_from(raw, i * _LENGTH.size)[0] for i in range(n_buffers)]
    if json_len + sum(sizes) > max_frame:
        raise ProtocolError(f"frame announces {json_len + sum(sizes)} bytes (cap {max_frame})")
    body = _recv_exact(sock, json_len, deadline)
    buffers = [_recv_exact(sock, size, deadline) for size in sizes]
    return decode(bytes(body), buffers)


def write_frame(sock, value):
    """Encode ``value`` and send it as one frame; raises :class:`NotPlainData` before sending."""
    for chunk in encode(value):
        sock.sendall(chunk)
