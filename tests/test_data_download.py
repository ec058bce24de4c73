"""Downloads against a real HTTP server on 127.0.0.1: verification, retries, clear failures."""
import dataclasses
import http.server
import socket
import threading

import numpy as np
import pytest

from dl4cv.data import DatasetCorruptError, DownloadError, load_coco_data, load_mnist
from dl4cv.data.checksums import file_digest
from dl4cv.data.download import download, downloads_dir, fetch
from dl4cv.data.provenance import read
from dl4cv.data.registry import REGISTRY, RemoteFile
from dl4cv.data.status import dataset_status


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        status, body, content_type = route
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    """(routes, base URL) of a live server; set routes[path] = (status, body, content type)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.routes = {}
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd.routes, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_url():
    """A URL on a local port nobody listens on (an unreachable host, within milliseconds)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/cifar-10-python.tar.gz"


PAYLOAD = np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8).tobytes()
HTML = b"<!DOCTYPE html><html><body><h1>Access denied</h1></body></html>"


def _remote(urls, name="blob.bin", payload=PAYLOAD):
    import hashlib

    return RemoteFile(name=name, urls=tuple(urls), size=len(payload),
                      sha256=hashlib.sha256(payload).hexdigest())


def _leftovers(data_dir):
    folder = downloads_dir(data_dir)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_file_is_downloaded_and_verified(server, data_dir):
    routes, base = server
    routes["/good"] = (200, PAYLOAD, "application/octet-stream")
    path = download(_remote([base + "/good"]), "mnist", progress=False)
    assert path == downloads_dir() / "blob.bin"
    assert path.read_bytes() == PAYLOAD


@pytest.mark.parametrize("body, words", [
    (PAYLOAD[:20_000], "truncated"),
    (PAYLOAD[::-1], "wrong sha256"),
    (HTML, "HTML page"),
])
def test_bad_downloads_are_rejected_with_one_clear_message_and_deleted(server, data_dir, body, words):
    routes, base = server
    routes["/file"] = (200, body, "text/html" if body is HTML else "application/octet-stream")
    remote = _remote([base + "/file"])
    with pytest.raises(DownloadError) as info:
        download(remote, "mnist", progress=False)
    message = str(info.value)
    assert words in message
    assert "blob.bin" in message and base + "/file" in message and remote.sha256 in message
    assert str(downloads_dir() / "blob.bin") in message
    assert "python -m dl4cv.data import --from DIR mnist" in message
    assert _leftovers(data_dir) == []


def test_retries_the_next_url_when_the_first_fails(server, data_dir):
    routes, base = server
    routes["/good"] = (200, PAYLOAD, "application/octet-stream")
    path = download(_remote([base + "/missing", base + "/good"]), "mnist", progress=False)
    assert path.read_bytes() == PAYLOAD


def test_every_url_tried_is_named_with_its_reason(server, data_dir, closed_url):
    routes, base = server
    with pytest.raises(DownloadError) as info:
        download(_remote([base + "/missing", closed_url]), "cifar10", progress=False)
    message = str(info.value)
    assert base + "/missing" in message and "HTTP 404" in message
    assert closed_url in message and "connection refused" in message
    assert message.count("Could not download") == 1


def test_unreachable_host_gives_the_clear_message(data_dir, closed_url):
    with pytest.raises(DownloadError, match="Could not download blob.bin") as info:
        download(_remote([closed_url]), "cifar10", progress=False)
    assert "python -m dl4cv.data synthetic cifar10" in str(info.value)


def test_a_good_manual_copy_is_used_without_network(data_dir, closed_url):
    downloads_dir().mkdir(parents=True)
    (downloads_dir() / "blob.bin").write_bytes(PAYLOAD)
    assert download(_remote([closed_url]), "cifar10", progress=False).read_bytes() == PAYLOAD


def test_a_bad_manual_copy_is_quarantined_not_lost(server, data_dir):
    routes, base = server
    routes["/good"] = (200, PAYLOAD, "application/octet-stream")
    downloads_dir().mkdir(parents=True)
    (downloads_dir() / "blob.bin").write_bytes(HTML)
    assert download(_remote([base + "/good"]), "mnist", progress=False).read_bytes() == PAYLOAD
    kept = list((data_dir / ".quarantine").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == HTML


def _serve_dataset(routes, base, monkeypatch, name, folder, archive_names):
    """Serve ``archive_names`` from ``folder`` and point the registry's archives at them."""
    archives = []
    for fname in archive_names:
        body = (folder / fname).read_bytes()
        routes[f"/{name}/{fname}"] = (200, body, "application/octet-stream")
        archives.append(dataclasses.replace(
            REGISTRY[name].archives[0], name=fname, urls=(f"{base}/{name}/{fname}",),
            size=len(body), sha256=file_digest(folder / fname), md5=None))
    monkeypatch.setitem(REGISTRY, name, dataclasses.replace(REGISTRY[name], archives=tuple(archives)))


def test_fetch_installs_verified_files_as_real(server, data_dir, synthetic_root, monkeypatch,
                                               registry_describing, quiet_provenance):
    routes, base = server
    served = synthetic_root / "mnist"
    registry_describing("mnist", served)
    _serve_dataset(routes, base, monkeypatch, "mnist", served,
                   [m.name for m in REGISTRY["mnist"].members])
    state = fetch("mnist", progress=False)
    assert state.kind == "real" and state.present
    assert _leftovers(data_dir) == []
    X_train, y_train, _, _ = load_mnist()
    X_ref, y_ref, _, _ = load_mnist(served)
    np.testing.assert_array_equal(X_train, X_ref)
    np.testing.assert_array_equal(y_train, y_ref)


def _serve_zip(routes, base, monkeypatch, path):
    """Serve ``path`` and make it the registry's coco zip (no size or sha256, as for the real one)."""
    routes["/coco.zip"] = (200, path.read_bytes(), "application/zip")
    remote = dataclasses.replace(REGISTRY["coco_captioning"].archives[0], urls=(base + "/coco.zip",),
                                 size=None, sha256=None)
    monkeypatch.setitem(REGISTRY, "coco_captioning",
                        dataclasses.replace(REGISTRY["coco_captioning"], archives=(remote,)))


def test_fetch_zip_is_verified_by_its_members(server, data_dir, tmp_path, monkeypatch, coco_zip,
                                              quiet_provenance):
    routes, base = server
    _serve_zip(routes, base, monkeypatch, coco_zip(tmp_path / "coco_captioning.zip"))
    assert fetch("coco_captioning", progress=False).kind == "real"
    assert read(data_dir / "coco_captioning")["archive"]["verified_by"] == "members"
    assert load_coco_data()["train_features"].shape == (60, 512)
    assert _leftovers(data_dir) == []


def test_fetch_rejects_a_zip_whose_member_is_wrong(server, data_dir, tmp_path, monkeypatch, coco_zip):
    routes, base = server
    _serve_zip(routes, base, monkeypatch, coco_zip(tmp_path / "coco_captioning.zip", tamper=True))
    with pytest.raises(DatasetCorruptError, match="coco2014_vocab.json"):
        fetch("coco_captioning", progress=False)
    assert dataset_status("coco_captioning").kind == "missing"
    assert _leftovers(data_dir) == []


def test_fetch_falls_back_to_synthetic_only_when_asked(data_dir, monkeypatch, closed_url):
    remote = dataclasses.replace(REGISTRY["imagenet_val"].archives[0], urls=(closed_url,))
    monkeypatch.setitem(REGISTRY, "imagenet_val",
                        dataclasses.replace(REGISTRY["imagenet_val"], archives=(remote,)))
    with pytest.raises(DownloadError):
        fetch("imagenet_val", progress=False)
    assert dataset_status("imagenet_val").kind == "missing"
    assert fetch("imagenet_val", fallback_synthetic=True, progress=False).kind == "synthetic"
    assert read(data_dir / "imagenet_val")["kind"] == "synthetic"
