"""One model over two `pollama rpc` servers on loopback (OLLAMA_RPC_SERVERS): the same greedy output as a local
run, where the layers went (/api/ps, `pollama ps`), a killed RPC server is a clear error while the server stays
up, and the weight cache spares a second load from sending the big tensors again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from model_upload import create_from_gguf
from polling import wait_until
from rpc_harness import CountingRelay, RpcServer
from server_proc import Server, ServerFactory, free_port

GREEDY = {"temperature": 0, "seed": 1, "num_predict": 16, "num_ctx": 512}


@pytest.fixture()
def rpc_servers(tmp_path: Path) -> Iterator[Callable[..., RpcServer]]:
    started: list[RpcServer] = []

    def start(cache: Path | None = None) -> RpcServer:
        s = RpcServer(tmp_path / f"rpc{len(started)}.log", cache)
        started.append(s.start())
        return s

    yield start
    for s in started:
        s.stop()


def generate(server: Server, model: str = "smollm2", **extra: Any) -> httpx.Response:
    with server.client() as http:
        return http.post("/api/generate", json={"model": model, "prompt": "Name three colors.", "stream": False,
                                                "options": GREEDY, **extra})


def test_split_output_matches_local_and_ps_shows_layers(module_server: ServerFactory, smollm2: Path,
                                                        rpc_servers: Callable[..., RpcServer]) -> None:
    a, b = rpc_servers(), rpc_servers()
    local = module_server(None, {"smollm2": smollm2})
    split = module_server({"OLLAMA_RPC_SERVERS": f"{a.endpoint},{b.endpoint}"}, {"smollm2": smollm2})
    expected, got = generate(local), generate(split)
    assert expected.status_code == 200 and got.status_code == 200, got.text
    assert got.json()["response"] == expected.json()["response"] and expected.json()["eval_count"] == 16

    with split.client() as http:
        (ps,) = http.get("/api/ps").json()["models"]
    devices = ps["devices"]
    assert [d["device"] for d in devices] == ["CPU", a.endpoint, b.endpoint]
    assert sum(d["layers"] for d in devices) == 31 and all(d["layers"] >= 9 for d in devices)  # a third each
    out = subprocess.run([sys.executable, "-m", "pollama", "ps"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "OLLAMA_HOST": split.url})
    assert f"{a.endpoint} {devices[1]['layers']}" in out.stdout and "layers" in out.stdout, out.stdout


def test_tensor_split_puts_every_layer_on_the_rpc_servers(module_server: ServerFactory, smollm2: Path,
                                                          rpc_servers: Callable[..., RpcServer]) -> None:
    a, b = rpc_servers(), rpc_servers()
    split = module_server({"OLLAMA_RPC_SERVERS": f"{a.endpoint},{b.endpoint}", "POLLAMA_TENSOR_SPLIT": "0,3,1"},
                          {"smollm2": smollm2})
    assert generate(split).status_code == 200
    with split.client() as http:
        (ps,) = http.get("/api/ps").json()["models"]
    # 3:1 of 31 layers as llama.cpp rounds it: layer i goes to the first device whose share passes i/31
    assert ps["devices"] == [{"device": a.endpoint, "layers": 24}, {"device": b.endpoint, "layers": 7}]


class LongStream(threading.Thread):
    """A long streamed generation in a thread: its lines, and `started` once the first one came."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.started = threading.Event()
        self.lines: list[dict[str, Any]] = []

    def run(self) -> None:
        body = {"model": "smollm2", "prompt": "Tell me a long story.", "options": {"num_predict": 4000}}
        with httpx.stream("POST", self.server.url + "/api/generate", json=body, timeout=60) as r:
            for line in r.iter_lines():
                self.lines.append(json.loads(line))
                self.started.set()


def test_killed_rpc_server_is_a_clear_error(server_factory: ServerFactory, smollm2: Path,
                                            rpc_servers: Callable[..., RpcServer]) -> None:
    a, b = rpc_servers(), rpc_servers()
    server = server_factory({"OLLAMA_RPC_SERVERS": f"{a.endpoint},{b.endpoint}"})
    with server.client() as http:
        create_from_gguf(http, "smollm2", smollm2)
    assert generate(server).status_code == 200
    stream = LongStream(server)
    stream.start()
    assert stream.started.wait(60), "the stream did not start"
    b.stop()
    stream.join(60)
    assert not stream.is_alive(), "the request hangs after its RPC server died"
    last = stream.lines[-1]
    assert not last.get("done") and b.endpoint in last["error"], last

    with server.client() as http:
        assert http.get("/").status_code == 200  # the server stayed up
        t0 = time.monotonic()
        again = generate(server)
        assert again.status_code == 500 and f"RPC server {b.endpoint} is unreachable" in again.json()["error"]
        assert time.monotonic() - t0 < 30


def test_unreachable_rpc_server_at_load(server_factory: ServerFactory, tiny_llama: Path) -> None:
    dead = f"127.0.0.1:{free_port()}"
    server = server_factory({"OLLAMA_RPC_SERVERS": dead})
    with server.client() as http:
        create_from_gguf(http, "tiny", tiny_llama)
        r = generate(server, "tiny")
        assert r.status_code == 500 and f"RPC server {dead} is unreachable" in r.json()["error"], r.text
        assert http.get("/api/ps").json()["models"] == []


def test_weight_cache_spares_a_second_load(server_factory: ServerFactory, tiny_llama: Path, tmp_path: Path,
                                           rpc_servers: Callable[..., RpcServer]) -> None:
    """tiny_llama's output matrix (12 MiB, over ggml-rpc's 10 MiB hashing threshold) goes to the RPC server:
    the first load sends it and the server keeps it in its cache; the second load sends only its hash."""
    cache = tmp_path / "rpc-cache"
    relay = CountingRelay(rpc_servers(cache).port)
    server = server_factory({"OLLAMA_RPC_SERVERS": relay.endpoint, "POLLAMA_TENSOR_SPLIT": "0,1"})
    sent = []
    with server.client() as http:
        create_from_gguf(http, "tiny", tiny_llama)
        for _ in range(2):
            before = relay.sent
            assert generate(server, "tiny", keep_alive=0).status_code == 200
            assert wait_until(lambda: http.get("/api/ps").json()["models"] == [], 30)  # unloaded
            sent.append(relay.sent - before)
    relay.close()
    output_matrix = 49152 * 64 * 4
    assert [f.stat().st_size for f in cache.iterdir()] == [output_matrix]
    assert sent[0] > output_matrix and sent[1] < sent[0] - output_matrix + (1 << 20), sent
