"""The sandbox wire format: exact round trips of plain data, and rejection of hostile frames."""
import json
import socket
import struct
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dl4cv_grader import protocol
from dl4cv_grader.protocol import NotPlainData, ProtocolError

WIRE_DTYPES = sorted(protocol.ALLOWED_DTYPES)

arrays = st.sampled_from(WIRE_DTYPES).flatmap(
    lambda dtype: hnp.arrays(np.dtype(dtype), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.complex_numbers()
plain = st.recursive(
    scalars | arrays,
    lambda inner: st.lists(inner, max_size=4)
    | st.lists(inner, max_size=4).map(tuple)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def roundtrip(value):
    """Send ``value`` through a real socket pair and read it back."""
    left, right = socket.socketpair()
    with left, right:
        sender = threading.Thread(target=protocol.write_frame, args=(left, value))
        sender.start()
        try:
            return protocol.read_frame(right)
        finally:
            sender.join()


def same(a, b):
    """Structural equality that also checks types, dtypes and NaN positions."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            same(a[key], b[key])
    elif isinstance(a, (float, complex)):
        assert repr(a) == repr(b)
    else:
        assert a == b


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(plain)
def test_plain_data_round_trips_exactly(value):
    same(roundtrip(value), value)


def test_numpy_scalars_become_python_numbers():
    got = roundtrip([np.float32(1.5), np.int64(3), np.bool_(True), np.complex64(1j)])
    same(got, [1.5, 3, True, 1j])


def test_decoded_arrays_are_writable_and_big_endian_input_is_converted():
    got = roundtrip(np.arange(6, dtype=">i4").reshape(2, 3))
    assert got.dtype == np.dtype("<i4") and got.flags.writeable
    got[0, 0] = 7
    np.testing.assert_array_equal(got[1], [3, 4, 5])


class Lying:
    """An object whose equality always says yes."""

    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [
    Lying(), b"bytes", {1: "int key"}, np.array([object()], dtype=object), np.array(["s"]),
    np.datetime64("2020-01-01"), np.longdouble(1), type("MyInt", (int,), {})(3), {"set"},
    pytest.param(10 ** 5000, id="huge-int"),
])
def test_values_that_are_not_plain_data_are_refused(value):
    with pytest.raises(NotPlainData):
        protocol.encode(value)


def test_too_deep_nesting_is_refused_both_ways():
    deep = []
    for _ in range(protocol.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(NotPlainData):
        protocol.encode(deep)
    body = ('{"l":[' * (protocol.MAX_DEPTH + 2) + "]}" * (protocol.MAX_DEPTH + 2)).encode()
    with pytest.raises(ProtocolError, match="deeper"):
        protocol.decode(body, [])


def raw_frame(body, buffers=(), magic=b"DLCV", json_len=None, sizes=None):
    """Hand-built frame bytes, with optionally lying lengths."""
    sizes = [len(b) for b in buffers] if sizes is None else sizes
    head = struct.pack(">4sII", magic, len(body) if json_len is None else json_len, len(sizes))
    return head + b"".join(struct.pack(">Q", n) for n in sizes) + body + b"".join(buffers)


def read_raw(data):
    """Decode hand-built bytes as the trusted side would (peer then closes)."""
    left, right = socket.socketpair()
    with left, right:
        sender = threading.Thread(target=lambda: (left.sendall(data), left.shutdown(socket.SHUT_WR)))
        sender.start()
        try:
            return protocol.read_frame(right)
        finally:
            right.close()
            sender.join()


def array_node(dtype, shape, index=0):
    return json.dumps({"a": index, "dtype": dtype, "shape": shape}).encode()


@pytest.mark.parametrize("data, match", [
    (raw_frame(b"{not json"), "malformed JSON"),
    (raw_frame(b"\xff\xfe"), "malformed JSON"),
    (raw_frame(b"1", magic=b"EVIL"), "magic"),
    (raw_frame(b"1", json_len=2**31), "announces"),
    (raw_frame(b"1", sizes=[2**40]), "announces"),
    (raw_frame(b"1", sizes=[0] * (protocol.MAX_BUFFERS + 1)), "announces"),
    (raw_frame(array_node("|O", [1]), [b"\0" * 8]), "not allowed"),
    (raw_frame(array_node("<f8", [10**9, 10**9]), [b"\0" * 8]), "does not match"),
    (raw_frame(array_node("<f8", [-1]), [b""]), "bad array shape"),
    # Zero bytes, yet no such array: reshape's own ValueError once escaped and crashed the batch.
    (raw_frame(array_node("<f8", [2**64, 0]), [b""]), "bad array shape"),
    (raw_frame(array_node("<f8", [2**40, 2**40, 0]), [b""]), "bad array shape"),
    (raw_frame(array_node("<f8", [1], index=3), [b"\0" * 8]), "missing or reused"),
    (raw_frame(b"1", [b"extra"]), "no array refers"),
    (raw_frame(b'{"x": 1}'), "unknown or malformed tag"),
    (raw_frame(b'{"d": [[1, 2]]}'), "pairs"),
    (raw_frame(b'{"d": [["k", 1], ["k", 2]]}'), "duplicate"),
    (raw_frame(b'{"l": [' + b"0," * (protocol.MAX_NODES + 1) + b"0]}"), "more than"),
])
def test_malformed_frames_are_rejected(data, match):
    with pytest.raises(ProtocolError, match=match):
        read_raw(data)


def test_truncated_frame_is_end_of_file_not_garbage():
    with pytest.raises(EOFError):
        read_raw(raw_frame(b'{"l":[1,2,3]}')[:-3])


def test_same_buffer_cannot_back_two_arrays():
    body = json.dumps({"l": [{"a": 0, "dtype": "|u1", "shape": [1]}] * 2}).encode()
    with pytest.raises(ProtocolError, match="missing or reused"):
        read_raw(raw_frame(body, [b"x"]))


def test_a_frame_dripped_byte_by_byte_ends_at_the_deadline():
    left, right = socket.socketpair()
    stop = threading.Event()

    def drip():  # each byte well within the socket's timeout, the frame never complete
        for byte in raw_frame(b'{"l":[1,2,3]}'):
            if stop.wait(0.05):
                return
            left.sendall(bytes([byte]))
    sender = threading.Thread(target=drip)
    sender.start()
    try:
        right.settimeout(5)
        with pytest.raises(socket.timeout):
            protocol.read_frame(right, deadline=time.monotonic() + 0.3)
    finally:
        stop.set()
        sender.join()
        left.close()
        right.close()
