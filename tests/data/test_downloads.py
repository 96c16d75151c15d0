"""tfds downloads without network: fast, clear failures that leave nothing.

"No network" is simulated deterministically: the proxies of the environment
point at a local port where nothing listens (or nothing answers), and the
"internet" is an HTTP server on 127.0.0.1.
"""

import http.server
import logging
import os
import socket
import threading
import time

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_training_kit.data import DownloadError
from keras_training_kit.data import check_dataset_name
from keras_training_kit.data import load_dataset
from keras_training_kit.data.downloads import find_unreachable

_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
_PAYLOAD = b"ktk" * 100


class KtkTinyImages(tfds.core.GeneratorBasedBuilder):
    """A 2-class set of 4x4 images whose one file comes from a local server."""

    VERSION = tfds.core.Version("1.0.0")
    URL = None  # set by `local_set`

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(4, 4, 1)),
                    "label": tfds.features.ClassLabel(num_classes=2),
                }
            ),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager):
        path = dl_manager.download(type(self).URL)
        assert path.read_bytes() == _PAYLOAD
        return {
            "train": self._generate_examples(10),
            "test": self._generate_examples(4),
        }

    def _generate_examples(self, count):
        for i in range(count):
            image = np.full((4, 4, 1), 50 * (i % 2), dtype=np.uint8)
            yield i, {"image": image, "label": i % 2}


class _Server(http.server.BaseHTTPRequestHandler):
    """Serves `_PAYLOAD` at `/file.bin` and 404 elsewhere."""

    def do_HEAD(self):
        self._answer(send_body=False)

    def do_GET(self):
        self._answer(send_body=True)

    def _answer(self, send_body):
        found = self.path == "/file.bin"
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(_PAYLOAD) if found else 0))
        self.end_headers()
        if found and send_body:
            self.wfile.write(_PAYLOAD)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    """`http://127.0.0.1:<port>`, reached without the environment's proxy."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.05,), daemon=True
    )
    thread.start()
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local_set(monkeypatch, server):
    """Sets `KtkTinyImages`' URL; a path on `server`: `/file.bin`, `/gone`."""

    def use(path):
        url = server + path
        monkeypatch.setattr(KtkTinyImages, "URL", url)
        monkeypatch.setattr(KtkTinyImages, "url_infos", {url: None})

    return use


def _proxy_at(monkeypatch, port):
    for name in _PROXY_VARIABLES:
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def offline(monkeypatch):
    """No network: the proxies point at a bound port nothing listens on."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, so no one else takes it
        _proxy_at(monkeypatch, closed.getsockname()[1])
        yield


def _tree(folder):
    return sorted(
        os.path.relpath(os.path.join(parent, entry), folder)
        for parent, folders, files in os.walk(folder)
        for entry in folders + files
    )


def _unrelated_content(data_dir):
    """Another set's prepared folder and download, which must survive."""
    for path in ("mnist/3.0.1/dataset_info.json", "downloads/mnist/a.gz"):
        os.makedirs(os.path.dirname(data_dir / path), exist_ok=True)
        (data_dir / path).write_text("keep")
    return _tree(data_dir)


def test_closed_proxy_is_reported_at_once(offline):
    start = time.monotonic()
    reason = find_unreachable(
        [
            "ftp://skipped.example/x",
            "https://a.example/1",
            "https://a.example/2",
        ]
    )
    assert time.monotonic() - start < 5
    assert reason == "https://a.example is unreachable (ProxyError)"


def test_silent_proxy_is_reported_after_the_timeout(monkeypatch):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections, never answers
        _proxy_at(monkeypatch, silent.getsockname()[1])
        start = time.monotonic()
        reason = find_unreachable(["http://a.example/1"], timeout=0.5)
    assert time.monotonic() - start < 3
    assert reason == "http://a.example is unreachable (no answer within 0.5 s)"


def test_any_http_answer_counts_as_reachable(server):
    assert find_unreachable([server + "/gone", server + "/file.bin"]) is None


def test_offline_download_fails_fast_naming_set_and_folder(offline, tmp_path):
    data_dir = tmp_path / "data"
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        load_dataset("cifar10", data_dir=str(data_dir), download=True)
    assert time.monotonic() - start < 10
    assert isinstance(info.value, FileNotFoundError)
    message = str(info.value)
    assert "'cifar10'" in message and f"data_dir='{data_dir}'" in message
    assert "https://www.cs.toronto.edu is unreachable (ProxyError)" in message
    assert "('digits', 'mnist1d')" in message
    assert info.value.reason.endswith("(ProxyError)")
    assert not data_dir.exists()  # nothing written, not even the folder


def test_failed_download_removes_only_its_partial_folders(local_set, tmp_path):
    local_set("/gone")  # the server answers the probe, the download 404s
    before = _unrelated_content(tmp_path)
    with pytest.raises(DownloadError, match="ktk_tiny_images.*404"):
        load_dataset("ktk_tiny_images", data_dir=str(tmp_path))
    # tfds left `ktk_tiny_images/`, `downloads/extracted/` and
    # `downloads/ktk_tiny_images/<file>.tmp.<uuid>/` here.
    assert _tree(tmp_path) == before


def test_download_prepares_and_later_loads_skip_the_network(
    local_set, tmp_path, monkeypatch, caplog
):
    local_set("/file.bin")
    before = _unrelated_content(tmp_path)
    data = load_dataset("ktk_tiny_images", data_dir=str(tmp_path))
    assert data.cardinality == {"train": 9, "validation": 1, "test": 4}
    assert data.input_shape == (4, 4, 1) and data.num_classes == 2
    assert set(before) < set(_tree(tmp_path))
    # An earlier failed run's folder, and no network: no probe, no warning.
    (tmp_path / "ktk_tiny_images" / "incomplete.ABC123_1.0.0").mkdir()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        _proxy_at(monkeypatch, closed.getsockname()[1])
        with caplog.at_level(logging.INFO):
            again = load_dataset("ktk_tiny_images", data_dir=str(tmp_path))
    assert sum(1 for _ in again.test) == 4
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_unprepared_set_without_download_does_not_warn(tmp_path, caplog):
    # What a run killed during its download leaves; perhaps another process
    # is still downloading there: kept, and no warning about it.
    (tmp_path / "ktk_tiny_images" / "incomplete.ABC123_1.0.0").mkdir(
        parents=True
    )
    (tmp_path / "downloads" / "ktk_tiny_images" / f"f.tmp.{'0' * 32}").mkdir(
        parents=True
    )
    before = _tree(tmp_path)
    with caplog.at_level(logging.WARNING), pytest.raises(FileNotFoundError):
        load_dataset("ktk_tiny_images", data_dir=str(tmp_path), download=False)
    assert not caplog.records  # tfds: "Variant folder ... no dataset_info"
    assert _tree(tmp_path) == before


def test_plain_names_skip_the_community_index(monkeypatch):
    # The community index is read from GCS: ~10 minutes behind a dead proxy.
    calls = []
    listed = tfds.list_builders

    def spy(**kwargs):
        calls.append(kwargs)
        return listed(**kwargs)

    monkeypatch.setattr(tfds, "list_builders", spy)
    check_dataset_name("mnist")
    assert calls == [{"with_community_datasets": False}]
