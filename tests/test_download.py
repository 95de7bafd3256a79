"""Tests of utils.download against a local HTTP server: nothing here touches the internet."""

import gzip
import hashlib
import http.server
import io
import re
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from utils import data, download
from utils.download import DatasetUnavailable, RemoteFile

IDX = download._IDX  # train images, train labels, test images, test labels
TEXT = "To be, or not to be, that is the question.\n" * 20


def _idx(array: np.ndarray) -> bytes:
    """A gzipped IDX file: magic 0, 0, 8 (unsigned bytes), ndim; big-endian dims; the data."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def _cifar(batches: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, records in batches.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = records.nbytes
            tar.addfile(info, io.BytesIO(records.tobytes()))
    return buffer.getvalue()


class Server:
    """Files served from a folder on 127.0.0.1, with a log of the paths requested."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.requests = folder, []
        log = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self):
                log.append(self.path.lstrip("/"))
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/{name}"

    def remote(self, name: str, served: str | None = None, **check) -> RemoteFile:
        """A RemoteFile for ``name`` served from ``served``, by default with its true md5."""
        served = served or name
        if not check:
            check = {"md5": hashlib.md5((self.folder / served).read_bytes()).hexdigest()}
        return RemoteFile(name, self.url(served), **check)


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        IDX[0]: rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        IDX[1]: np.arange(20, dtype=np.uint8) % 5,
        IDX[2]: rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        IDX[3]: np.array([3, 1, 4, 1], dtype=np.uint8),
        "cifar": rng.integers(0, 256, (12, 3073), dtype=np.uint8),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory, arrays):
    folder = tmp_path_factory.mktemp("served")
    for name in IDX:
        (folder / name).write_bytes(_idx(arrays[name]))
    records = arrays["cifar"].copy()
    records[:, 0] %= 10
    arrays["cifar"] = records
    batches = {f"data_batch_{i}.bin": records[2 * (i - 1) : 2 * i] for i in range(1, 6)}
    batches["test_batch.bin"] = records[10:]
    (folder / "cifar-10-binary.tar.gz").write_bytes(_cifar(batches))
    (folder / "input.txt").write_text(TEXT, encoding="utf-8")
    (folder / "garbage.bin").write_bytes(b"not the file you are looking for")
    server = Server(folder)
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def mnist(monkeypatch, server) -> tuple[RemoteFile, ...]:
    files = tuple(server.remote(name) for name in IDX)
    monkeypatch.setitem(download.REMOTE, "mnist", files)
    return files


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_data_dir_honours_root_then_environment_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv(download.DATA_ENV, str(tmp_path / "env"))
    assert download.data_dir(tmp_path / "root") == tmp_path / "root"
    assert download.data_dir() == tmp_path / "env"
    monkeypatch.delenv(download.DATA_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert download.data_dir() == tmp_path / "home" / ".cache" / "itm528"
    assert download.data_dir("~/data") == tmp_path / "home" / "data"


def test_fetch_downloads_into_the_environment_folder(monkeypatch, tmp_path, mnist):
    monkeypatch.setenv(download.DATA_ENV, str(tmp_path))
    folder = download.fetch("mnist")
    assert folder == tmp_path / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(IDX)


def test_fetch_unknown_name(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'svhn'"):
        download.fetch("svhn", tmp_path)


@pytest.mark.parametrize("train", [True, False])
def test_mnist_is_downloaded_and_parsed(tmp_path, mnist, arrays, train):
    x, y = download.load_idx_pair("mnist", train, tmp_path)
    images, labels = (arrays[IDX[0]], arrays[IDX[1]]) if train else (arrays[IDX[2]], arrays[IDX[3]])
    assert x.shape == (len(labels), 1, 28, 28) and x.dtype == torch.float32
    assert torch.equal(x, torch.from_numpy(images).float().div(255).unsqueeze(1))
    assert y.dtype == torch.int64 and y.tolist() == labels.tolist()


def test_the_cache_is_used_on_a_second_call(tmp_path, mnist, server):
    download.fetch("mnist", tmp_path)
    before = len(server.requests)
    assert before >= 4
    download.load_idx_pair("mnist", True, tmp_path)
    download.fetch("mnist", tmp_path)
    assert len(server.requests) == before


def test_a_corrupt_cached_file_is_downloaded_again(tmp_path, mnist, server):
    folder = download.fetch("mnist", tmp_path)
    good = (folder / IDX[1]).read_bytes()
    (folder / IDX[1]).write_bytes(b"corrupt")
    before = len(server.requests)
    download.fetch("mnist", tmp_path)
    assert server.requests[before:] == [IDX[1]]
    assert (folder / IDX[1]).read_bytes() == good


def test_a_wrong_checksum_raises_and_caches_nothing(monkeypatch, tmp_path, server):
    spec = server.remote("input.txt", "garbage.bin", md5="0" * 32)
    monkeypatch.setitem(download.REMOTE, "tiny-shakespeare", (spec,))
    with pytest.raises(DatasetUnavailable, match=r"corrupt file \(md5 [0-9a-f]{32}, expected 0+\)"):
        download.fetch("tiny-shakespeare", tmp_path)
    assert list((tmp_path / "tiny-shakespeare").iterdir()) == []


def test_an_unreachable_server_names_the_offline_alternative(monkeypatch, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/{IDX[0]}"
    monkeypatch.setitem(download.REMOTE, "mnist", (RemoteFile(IDX[0], url, md5="0" * 32),))
    with pytest.raises(DatasetUnavailable, match=re.escape("utils.data.load_digits()")):
        download.fetch("mnist", tmp_path, timeout=5)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_a_missing_file_on_the_server_raises(monkeypatch, tmp_path, server):
    spec = RemoteFile("input.txt", server.url("nowhere.txt"), size=len(TEXT))
    monkeypatch.setitem(download.REMOTE, "tiny-shakespeare", (spec,))
    with pytest.raises(
        DatasetUnavailable, match=r"could not download tiny-shakespeare.*stdlib_text"
    ):
        download.fetch("tiny-shakespeare", tmp_path)
    assert list((tmp_path / "tiny-shakespeare").iterdir()) == []


def test_text_file_is_checked_by_size(monkeypatch, tmp_path, server):
    size = len(TEXT.encode())
    monkeypatch.setitem(
        download.REMOTE, "tiny-shakespeare", (server.remote("input.txt", size=size),)
    )
    assert download.load_tiny_shakespeare(tmp_path) == TEXT
    wrong = (server.remote("input.txt", size=size + 1),)
    monkeypatch.setitem(download.REMOTE, "tiny-shakespeare", wrong)
    with pytest.raises(DatasetUnavailable, match=f"size {size} bytes, expected {size + 1}"):
        download.fetch("tiny-shakespeare", tmp_path / "other")
    assert list((tmp_path / "other" / "tiny-shakespeare").iterdir()) == []


def test_cifar10_is_downloaded_and_parsed(monkeypatch, tmp_path, server, arrays):
    monkeypatch.setitem(download.REMOTE, "cifar10", (server.remote("cifar-10-binary.tar.gz"),))
    records = arrays["cifar"]
    for train, rows in ((True, records[:10]), (False, records[10:])):
        x, y = download.load_cifar10(train, tmp_path)
        assert x.shape == (len(rows), 3, 32, 32) and x.dtype == torch.float32
        expected = torch.from_numpy(rows[:, 1:].copy()).float().div(255).view(-1, 3, 32, 32)
        assert torch.equal(x, expected)
        assert y.dtype == torch.int64 and y.tolist() == rows[:, 0].tolist()


def test_load_images_mnist_end_to_end(tmp_path, mnist, arrays):
    splits = data.load_images("mnist", val_fraction=0.2, root=tmp_path)
    assert [len(d) for d in splits] == [15, 5, 4]
    assert sorted(splits.val.tensors[1].tolist()) == [0, 1, 2, 3, 4]
    assert splits.test.tensors[1].tolist() == arrays[IDX[3]].tolist()
    assert splits.train.tensors[0].shape[1:] == (1, 28, 28)
