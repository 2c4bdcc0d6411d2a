"""Concurrent store operations over HTTP: create, copy, delete, pull and prune racing on shared names never
answer a 500 or reset a connection, and leave a store whose every model works and whose every blob is
used. An unexpected exception is a JSON 500 on a connection that stays open."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_thread import AppThread
from fixtures.tiny_gguf import make_tiny_llama
from registry_harness import Registry
from server_proc import Server

from pollama.registry import push
from pollama.store import Store, parse_name

TINY = {"n_embd": 16, "n_head": 2, "n_ff": 32, "file_type": "f16"}
GONE = ("not found",)  # the one failure a race may cause: the model or blob was deleted meanwhile


def _local_port(r: httpx.Response) -> int:
    return r.extensions["network_stream"].get_extra_info("socket").getsockname()[1]


def _kept_alive(http: httpx.Client, first: httpx.Response) -> None:
    """The connection that answered `first` serves the next request."""
    port = _local_port(first)
    r = http.get("/api/version")
    assert r.status_code == 200 and _local_port(r) == port


def test_an_unexpected_error_is_a_json_500_and_the_connection_stays_open(server: Server) -> None:
    broken = server.models / "manifests" / "registry.ollama.ai" / "library" / "broken" / "latest"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    with server.client(timeout=30) as http:
        r = http.post("/api/show", json={"model": "broken"})
        assert r.status_code == 500 and r.headers["content-type"] == "application/json"
        assert r.json()["error"].startswith("JSONDecodeError: ")
        _kept_alive(http, r)
    assert "Traceback" in server.logs()


def test_copy_onto_a_file_where_its_folder_goes(server: Server, tmp_path: Path) -> None:
    tiny = make_tiny_llama(tmp_path / "tiny.gguf", **TINY)
    with server.client(timeout=60) as http:
        assert http.post("/api/create", json={"model": "src", "from": str(tiny), "stream": False}).status_code == 200
        folder = server.models / "manifests" / "registry.ollama.ai" / "library" / "dst"
        folder.write_text("in the way")
        r = http.post("/api/copy", json={"source": "src", "destination": "dst"})
        assert r.status_code == 500 and r.json() == {"error": f"mkdir {folder}: file exists"}
        _kept_alive(http, r)
        assert [m["name"] for m in http.get("/api/tags").json()["models"]] == ["src:latest"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def ggufs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("ggufs")
    return [make_tiny_llama(root / f"t{i}.gguf", seed=i, **TINY) for i in range(2)]


def _in_stream_error(r: httpx.Response) -> str | None:
    assert r.headers["content-type"].startswith("application/x-ndjson"), r.text
    last = json.loads(r.text.strip().splitlines()[-1])
    return last.get("error")


class Race:
    """16 clients, each on one kept-alive connection, doing random store operations on 4 shared names."""

    def __init__(self, app: AppThread, names: list[str], digests: list[str], seed: int) -> None:
        self.app, self.names, self.digests, self.seed = app, names, digests, seed
        self.failures: list[str] = []

    def _op(self, http: httpx.Client, rng: random.Random) -> None:
        name, other = rng.choice(self.names), rng.choice(self.names)
        op = rng.choice(["create", "create", "copy", "delete", "pull", "prune", "show"])
        if op == "prune":
            self.app.store.prune()
            return
        if op == "create":
            body: dict[str, Any] = ({"from": other, "system": f"seed {rng.random()}"} if rng.random() < 0.5
                                    else {"files": {"m.gguf": rng.choice(self.digests)}})
            r = http.post("/api/create", json={"model": name, **body})
        elif op == "pull":
            r = http.post("/api/pull", json={"model": name, "insecure": True})
        elif op == "copy":
            r = http.post("/api/copy", json={"source": other, "destination": name})
        elif op == "delete":
            r = http.request("DELETE", "/api/delete", json={"model": name})
        else:
            r = http.post("/api/show", json={"model": name})
        error = _in_stream_error(r) if op in ("create", "pull") and r.status_code == 200 else (
            None if r.status_code == 200 else r.json()["error"])
        if error is not None and (r.status_code >= 500 or not any(g in error for g in GONE)):
            self.failures.append(f"{op} {name}: {r.status_code} {error}")

    def client(self, index: int) -> None:
        rng = random.Random(self.seed * 100 + index)
        with httpx.Client(base_url=self.app.url, timeout=30) as http:
            for _ in range(12):
                try:
                    self._op(http, rng)
                except (httpx.HTTPError, ValueError, KeyError) as e:  # a reset, a non-JSON answer
                    self.failures.append(f"{type(e).__name__}: {e}")

    def run(self) -> None:
        threads = [threading.Thread(target=self.client, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in threads), "the race did not finish in 60 s"


def test_racing_store_operations(tmp_path: Path, registry: Registry, ggufs: list[Path]) -> None:
    names = [f"{registry.host}/race/m{i}:latest" for i in range(4)]
    source = Store(tmp_path / "source")  # what the registry serves for the four names
    for i, name in enumerate(names):
        asyncio.run(_create_and_push(source, name, ggufs[i % 2], f"registry {i}"))
    with AppThread(tmp_path / "models") as app, app.client() as http:
        digests = []
        for gguf in ggufs:
            data = gguf.read_bytes()
            digests.append("sha256:" + hashlib.sha256(data).hexdigest())
            assert http.post(f"/api/blobs/{digests[-1]}", content=data).status_code == 201
        for name in names[:2]:
            assert http.post("/api/create", json={"model": name, "files": {"m.gguf": digests[0]},
                                                  "stream": False}).status_code == 200
        race = Race(app, names, digests, seed=7)
        race.run()
        assert race.failures == []
        _check_store(app, http, uploaded={d.replace(":", "-") for d in digests})


async def _create_and_push(store: Store, name: str, gguf: Path, system: str) -> None:
    from pollama.api.types import CreateRequest
    from pollama.create import create_model

    req = CreateRequest.model_validate({"model": name, "from": str(gguf), "system": system}, strict=False)
    async for _ in create_model(store, req):
        pass
    async for _ in push(store, parse_name(name), insecure=True):
        pass


def _check_store(app: AppThread, http: httpx.Client, uploaded: set[str]) -> None:
    """Every listed model parses, shows and runs; the blobs are those the manifests name, and the uploaded
    ones (which stay, as in Ollama, until a create uses them or a start-up prune removes them)."""
    store, used = app.store, set()
    listed = [m["name"] for m in http.get("/api/tags").json()["models"]]
    assert listed
    for name in listed:
        used |= store.read_manifest(parse_name(name)).digests()
        assert http.post("/api/show", json={"model": name}).status_code == 200
        r = http.post("/api/generate", json={"model": name, "prompt": "hi", "stream": False,
                                             "options": {"num_predict": 1}})
        assert r.status_code == 200 and r.json()["done"], r.text
    present, used_files = {p.name for p in store.blobs.iterdir()}, {d.replace(":", "-") for d in used}
    assert used_files <= present and present - used_files <= uploaded
