"""The scheduler while a model loads (the load held open by tests/load_gate.py): a loaded model is served
meanwhile, the requests for the loading model share its one load, a load no request waits for any more
is stopped, and a request waiting for room is woken by whichever model frees it."""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from load_gate import LoadGate
from model_upload import create_from_gguf
from polling import wait_until
from procinfo import children
from server_proc import Server

SHORT = {"temperature": 0, "num_predict": 2}
# sampled from the whole vocabulary: no end-of-generation token comes up within any test's wait
ENDLESS = {"temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 7, "num_predict": 1_000_000}


@pytest.fixture(scope="module")
def ggufs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ggufs")
    return {"tiny": make_tiny_llama(folder / "tiny.gguf", ctx=32768),
            "slow": make_tiny_llama(folder / "slow.gguf", seed=1)}


@pytest.fixture()
def gate(tmp_path: Path, ggufs: dict[str, Path]) -> Iterator[LoadGate]:
    gate = LoadGate(tmp_path / "gate", ggufs["slow"])
    yield gate
    gate.open()  # a load still held goes on, so that the server stops at once


@pytest.fixture()
def srv(server_factory, gate: LoadGate, ggufs: dict[str, Path]) -> Server:  # type: ignore[no-untyped-def]
    s = server_factory({"OLLAMA_MAX_LOADED_MODELS": "2", "OLLAMA_NUM_PARALLEL": "1", **gate.env()})
    with s.client() as http:
        for name in ("tiny", "other", "third"):
            create_from_gguf(http, name, ggufs["tiny"])
        create_from_gguf(http, "slow", ggufs["slow"])
    return s


def generate(srv: Server, model: str, timeout: float = 60.0, **body: object) -> httpx.Response:
    with srv.client(timeout) as http:
        return http.post("/api/generate", json={"model": model, "prompt": "x", "raw": True, "stream": False,
                                                "options": SHORT, **body})


def loading(srv: Server, model: str) -> int:
    """How many loads of `model` the server has started."""
    return srv.logs().count(f"loading {model}")


def test_a_loaded_model_is_served_while_another_loads(srv: Server, gate: LoadGate) -> None:
    assert generate(srv, "tiny", keep_alive="10m").status_code == 200
    with cf.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(generate, srv, "slow")
        assert wait_until(lambda: loading(srv, "slow") == 1)
        r = generate(srv, "tiny", timeout=20)
        assert r.status_code == 200 and r.json()["eval_count"] == 2, r.text
        assert not slow.done()  # still loading
        gate.open()
        r = slow.result()
    assert r.status_code == 200 and r.json()["eval_count"] == 2, r.text


def test_two_requests_for_an_unloaded_model_share_one_load(srv: Server, gate: LoadGate) -> None:
    with cf.ThreadPoolExecutor(2) as pool:
        leaving = pool.submit(generate, srv, "slow", timeout=4)
        staying = pool.submit(generate, srv, "slow")
        with pytest.raises(httpx.ReadTimeout):  # the first client leaves while the model loads
            leaving.result()
        time.sleep(1)  # the server has seen it leave
        gate.open()
        r = staying.result()
    assert r.status_code == 200 and r.json()["eval_count"] == 2, r.text
    assert loading(srv, "slow") == 1  # the load went on for the request still waiting for it


def test_a_load_no_request_waits_for_is_stopped(srv: Server, gate: LoadGate) -> None:
    with cf.ThreadPoolExecutor(1) as pool:
        leaving = pool.submit(generate, srv, "slow", timeout=3)
        assert wait_until(lambda: loading(srv, "slow") == 1 and children(srv.proc.pid))
        with pytest.raises(httpx.ReadTimeout):
            leaving.result()
    assert wait_until(lambda: not children(srv.proc.pid))  # its runner was stopped while it loaded
    gate.open()
    with srv.client() as http:
        assert http.get("/api/ps").json()["models"] == []
    assert generate(srv, "slow").status_code == 200  # nothing of the abandoned load is left in the way
    assert loading(srv, "slow") == 2


def test_a_request_waiting_for_room_is_woken_by_whichever_model_frees_it(srv: Server) -> None:
    def endless(model: str) -> dict[str, object]:
        return {"model": model, "prompt": "go", "raw": True, "options": ENDLESS}

    with srv.client() as a, a.stream("POST", "/api/generate", json=endless("tiny")) as first:
        lines = first.iter_lines()  # kept: dropping it would close the connection
        assert next(lines)  # tiny generating
        with cf.ThreadPoolExecutor(1) as pool:
            with srv.client() as b, b.stream("POST", "/api/generate", json=endless("other")) as second:
                other_lines = second.iter_lines()
                assert next(other_lines)  # other generating: OLLAMA_MAX_LOADED_MODELS=2 reached
                waiting = pool.submit(generate, srv, "third", timeout=30)
                time.sleep(1.5)
                assert not waiting.done()  # waiting for room
            # other's client left: other is idle and makes room, while tiny goes on generating
            r = waiting.result()
        assert r.status_code == 200 and r.json()["eval_count"] == 2, r.text
        assert next(lines)
        with srv.client() as http:
            assert {m["name"] for m in http.get("/api/ps").json()["models"]} == {"tiny:latest", "third:latest"}
