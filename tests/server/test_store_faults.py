"""A full disk under every write path of the store: blob upload, create (GGUF import, safetensors convert,
quantize, text layers), copy and pull. Each answers at once with Ollama's JSON error naming the cause
(in-stream for create and pull), leaves no partial or temp file, and the model already there stays
listed, shown and usable.

Each case runs twice: on a real tmpfs mounted as the store (the real server), and with ENOSPC injected at
the store's write seams in the app running in this process, so it never only skips where no tmpfs can be
mounted."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import httpx
import pytest
from app_thread import AppThread
from convhelp import random_llama, smollm2_tokenizer_files
from fixtures.tiny_gguf import make_tiny_llama
from registry_harness import Registry, make_model
from server_proc import Server

from pollama.registry import push
from pollama.store import Store

MiB = 1 << 20
NO_SPACE = "no space left on device"
TINY = {"n_embd": 16, "n_head": 2, "n_ff": 32, "file_type": "f16"}


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _Metered:
    """A file whose writes take room from a SmallDisk."""

    def __init__(self, f: Any, disk: SmallDisk) -> None:
        self._f, self._disk = f, disk

    def write(self, data: bytes) -> int:
        self._disk.take(len(data))
        return self._f.write(data)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._f, attr)

    def __enter__(self) -> _Metered:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()


class SmallDisk:
    """The seam: ENOSPC from writes into `root` once `room` bytes went in: the store's files (os.fdopen),
    downloads (os.pwrite) and the converter's tensors. (The quantizer is a child process: here its output
    fails on the way into the store; its own failing write is the tmpfs run's.)"""

    def __init__(self, root: Path, room: int) -> None:
        self.root, self.room = str(root), room

    def take(self, n: int) -> None:
        if n > self.room:
            self.room = 0
            raise _enospc()
        self.room -= n

    def _ours(self, fd: int) -> bool:
        return os.readlink(f"/proc/self/fd/{fd}").startswith(self.root)

    def install(self, mp: pytest.MonkeyPatch) -> None:
        real_fdopen, real_pwrite = os.fdopen, os.pwrite
        real_tensor = gguf.GGUFWriter.write_tensor_data

        def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
            f = real_fdopen(fd, *args, **kwargs)
            return _Metered(f, self) if self._ours(fd) else f

        def pwrite(fd: int, data: bytes, offset: int) -> int:
            if self._ours(fd):
                self.take(len(data))
            return real_pwrite(fd, data, offset)

        def write_tensor(writer: gguf.GGUFWriter, tensor: Any, *args: Any, **kwargs: Any) -> None:
            self.take(tensor.nbytes)
            real_tensor(writer, tensor, *args, **kwargs)

        mp.setattr(os, "fdopen", fdopen)
        mp.setattr(os, "pwrite", pwrite)
        mp.setattr(gguf.GGUFWriter, "write_tensor_data", write_tensor)


@dataclass
class Disk:
    """A store whose disk can be made (nearly) full; `url` serves it."""

    kind: str
    models: Path
    url: str

    @contextlib.contextmanager
    def full(self, room: int) -> Iterator[None]:
        """Leave about `room` bytes free for the duration."""
        if self.kind == "seam":
            with pytest.MonkeyPatch.context() as mp:
                SmallDisk(self.models, room).install(mp)
                yield
            return
        filler = self.models / "filler"
        with open(filler, "wb") as f, contextlib.suppress(OSError):
            while (free := _free(self.models) - room) > 0:
                f.write(b"\0" * min(free, 4 * MiB))
                f.flush()
        try:
            yield
        finally:
            filler.unlink()


def _free(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory, smollm2: Path) -> dict[str, Path]:
    """Model sources outside the store: the fixture model, another GGUF and a safetensors folder."""
    root = tmp_path_factory.mktemp("sources")
    st = root / "safetensors"
    st.mkdir()
    info = smollm2_tokenizer_files(st, smollm2)
    random_llama(st, info["n_vocab"], hidden=16, n_head=2, n_kv=2, ffn=32)
    return {"keep": make_tiny_llama(root / "keep.gguf", **TINY),
            "other": make_tiny_llama(root / "other.gguf", seed=1, **TINY), "safetensors": st}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="module", params=["tmpfs", "seam"])
def disk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         sources: dict[str, Path]) -> Iterator[Disk]:
    models = tmp_path_factory.mktemp(request.param) / "models"
    models.mkdir()
    with contextlib.ExitStack() as stack:
        if request.param == "tmpfs":
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(models)],
                                     capture_output=True, text=True)
            if mounted.returncode != 0:
                pytest.skip(f"cannot mount a tmpfs ({mounted.stderr.strip()}); the 'seam' runs cover these paths")
            stack.callback(subprocess.run, ["umount", "-l", str(models)], check=False)
            url = stack.enter_context(Server(models)).url
        else:
            url = stack.enter_context(AppThread(models)).url
        with httpx.Client(base_url=url, timeout=60) as http:
            r = http.post("/api/create", json={"model": "keep", "from": str(sources["keep"]), "stream": False})
            assert r.status_code == 200, r.text
        yield Disk(request.param, models, url)


@pytest.fixture()
def http(disk: Disk) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=disk.url, timeout=30) as c:
        yield c


def _files(models: Path) -> set[str]:
    return {str(p.relative_to(models)) for p in models.rglob("*") if p.is_file() and p.name != "filler"}


def _fails_cleanly(disk: Disk, http: httpx.Client, room: int, op: Callable[[], str]) -> str:
    """Run `op` (returns the error text it got) on a disk with `room` bytes free: it fails within the
    client's timeout, leaves no file behind, and the model already there still works."""
    before = _files(disk.models)
    start = time.monotonic()
    with disk.full(room):
        error = op()
    assert time.monotonic() - start < 20
    assert NO_SPACE in error, error
    assert _files(disk.models) == before
    assert not [p for p in disk.models.iterdir() if p.name.startswith("pollama-")]  # scratch folders
    assert [m["name"] for m in http.get("/api/tags").json()["models"]] == ["keep:latest"]
    assert http.post("/api/show", json={"model": "keep"}).status_code == 200
    r = http.post("/api/generate", json={"model": "keep", "prompt": "hi", "stream": False,
                                         "options": {"num_predict": 1}})
    assert r.status_code == 200 and r.json()["done"], r.text
    return error


def _last_line(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return json.loads(r.text.strip().splitlines()[-1])


def test_blob_upload_onto_a_full_disk_answers_at_once(disk: Disk, http: httpx.Client) -> None:
    data = os.urandom(32 * MiB)  # more than the 64 chunks (of up to 256 KiB) queued for the writer thread

    def upload() -> str:
        r = http.post(f"/api/blobs/sha256:{hashlib.sha256(data).hexdigest()}", content=data)
        assert r.status_code == 500
        return r.json()["error"]

    assert _fails_cleanly(disk, http, MiB, upload).startswith("write ")


@pytest.mark.parametrize("stream", [False, True])
def test_create_from_a_gguf_onto_a_full_disk(disk: Disk, http: httpx.Client, sources: dict[str, Path],
                                             stream: bool) -> None:
    def create() -> str:
        r = http.post("/api/create", json={"model": "other", "from": str(sources["other"]), "stream": stream})
        if stream:
            return _last_line(r)["error"]
        assert r.status_code == 500
        return r.json()["error"]

    _fails_cleanly(disk, http, MiB, create)


@pytest.mark.parametrize("request_fields", [
    {"from": "keep", "system": "A new system prompt."},  # a text layer, then the config
    {"from": "keep", "quantize": "q8_0"},
], ids=["text", "quantize"])
def test_create_from_a_model_onto_a_full_disk(disk: Disk, http: httpx.Client, request_fields: dict) -> None:
    def create() -> str:
        return _last_line(http.post("/api/create", json={"model": "new", **request_fields}))["error"]

    _fails_cleanly(disk, http, 0 if "system" in request_fields else MiB // 2, create)


def test_create_converting_safetensors_onto_a_full_disk(disk: Disk, http: httpx.Client,
                                                        sources: dict[str, Path]) -> None:
    def create() -> str:
        r = http.post("/api/create", json={"model": "conv", "from": str(sources["safetensors"]), "stream": False})
        assert r.status_code == 500
        return r.json()["error"]

    _fails_cleanly(disk, http, MiB // 2, create)


def test_copy_onto_a_full_disk(disk: Disk, http: httpx.Client) -> None:
    def copy() -> str:
        r = http.post("/api/copy", json={"source": "keep", "destination": "copied"})
        assert r.status_code == 500
        return r.json()["error"]

    assert _fails_cleanly(disk, http, 0, copy).startswith("write ")


def test_pull_onto_a_full_disk(disk: Disk, http: httpx.Client, registry: Registry, tmp_path: Path) -> None:
    src = Store(tmp_path / "src")
    name, _ = make_model(src, f"{registry.host}/faults/big:latest", {"model": os.urandom(4 * MiB)})
    asyncio.run(_drain(push(src, name, insecure=True)))

    def pull() -> str:
        return _last_line(http.post("/api/pull", json={"model": str(name.display), "insecure": True}))["error"]

    assert "-partial" in _fails_cleanly(disk, http, MiB, pull)


async def _drain(events: Any) -> None:
    async for _ in events:
        pass
