"""A client that gives up stops its work at once, on every API surface and in every mode: the runner stops
generating for it (its CPU falls), a request waiting in the scheduler's queue never loads a model, and the
next request that needs a reload is served promptly."""

from __future__ import annotations

import concurrent.futures as cf
import time

import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from model_upload import create_from_gguf
from procinfo import children, cpu_share
from server_proc import Server, ServerFactory

# the tiny llama's greedy text (the model's parameters) never ends by itself (sampled, an end-of-generation
# token can come up within a second); num_predict is bounded by 10 x num_ctx: 40960 tokens, far longer than
# any test waits
ENDLESS = {"seed": 7, "num_predict": 1_000_000}
PARAMETERS = {"temperature": 0}
MESSAGES = [{"role": "user", "content": "go on"}]
REQUESTS = {
    "generate": ("/api/generate", {"model": "tiny", "prompt": "go", "raw": True, "stream": False,
                                   "options": ENDLESS}),
    "chat": ("/api/chat", {"model": "tiny", "messages": MESSAGES, "stream": False, "options": ENDLESS}),
    "openai chat": ("/v1/chat/completions", {"model": "tiny", "messages": MESSAGES, "seed": 7,
                                             "max_tokens": 1_000_000}),
    "openai completion": ("/v1/completions", {"model": "tiny", "prompt": "go", "seed": 7,
                                              "max_tokens": 1_000_000}),
    "anthropic": ("/v1/messages", {"model": "tiny", "messages": MESSAGES, "max_tokens": 1_000_000}),
}


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> Server:
    tiny = make_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny.gguf", ctx=32768)
    env = {"OLLAMA_NUM_PARALLEL": "1", "OLLAMA_MAX_LOADED_MODELS": "1", "OLLAMA_CONTEXT_LENGTH": "4096"}
    s = module_server(env)
    with s.client() as c:
        for name in ("tiny", "other"):
            create_from_gguf(c, name, tiny, parameters=PARAMETERS)
    return s


def give_up(srv: Server, path: str, body: dict, after: float = 1.5) -> None:
    """Send a request whose answer takes far longer than `after` seconds, and leave."""
    with httpx.Client(base_url=srv.url, timeout=after) as c, pytest.raises(httpx.ReadTimeout):
        c.post(path, json=body)


def running(srv: Server) -> list[str]:
    with srv.client() as c:
        return [m["name"] for m in c.get("/api/ps").json()["models"]]


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_abandoned_request_stops_generating(srv: Server, kind: str) -> None:
    with srv.client() as c:  # loaded beforehand, so that the wait below is all generation
        assert c.post("/api/generate", json={"model": "tiny", "keep_alive": "10m"}).status_code == 200
    give_up(srv, *REQUESTS[kind])
    (runner,) = children(srv.proc.pid)
    time.sleep(0.5)
    assert cpu_share(runner, 1.0) < 0.3  # idle, not generating for no one
    with srv.client(timeout=30) as c:  # another num_ctx: waits for the runner to be idle, then reloads it
        t0 = time.monotonic()
        r = c.post("/api/generate", json={"model": "tiny", "prompt": "x", "raw": True, "stream": False,
                                          "options": {"num_ctx": 512, "num_predict": 2}})
        assert r.status_code == 200 and r.json()["eval_count"] == 2
        assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("stream", [False, True])
def test_queued_request_whose_client_left_loads_nothing(srv: Server, stream: bool) -> None:
    # OLLAMA_MAX_LOADED_MODELS=1: a request for "other" waits until "tiny" is idle; its client leaves
    # meanwhile (streamed or not: no line is ready before the model is loaded)
    body = {"model": "tiny", "prompt": "go", "raw": True, "options": ENDLESS}
    with httpx.Client(base_url=srv.url, timeout=60) as c, c.stream("POST", "/api/generate", json=body) as r:
        lines = r.iter_lines()  # kept: dropping it would close the connection
        next(lines)  # tiny is generating
        give_up(srv, "/api/generate", {"model": "other", "prompt": "x", "stream": stream,
                                       "options": {"num_predict": 2}}, after=1.0)
        assert next(lines)  # still generating for its own client
    time.sleep(2)  # tiny's stream closed: it is idle now, and nothing is waiting for "other" any more
    assert "other:latest" not in running(srv)
    assert "loading other" not in srv.logs()


def test_queued_behind_busy_slots_leaves_the_runner_queue(srv: Server) -> None:
    # one slot: the second and third requests wait in the runner's queue; both clients leave
    with srv.client() as c:
        assert c.post("/api/generate", json={"model": "tiny", "keep_alive": "10m"}).status_code == 200
    path, body = REQUESTS["generate"]
    with cf.ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: give_up(srv, path, body), range(3)))
    (runner,) = children(srv.proc.pid)
    time.sleep(0.5)
    assert cpu_share(runner, 1.0) < 0.3
