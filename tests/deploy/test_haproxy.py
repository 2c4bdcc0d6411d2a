"""Replicas behind HAProxy (deploy/haproxy/haproxy.cfg, run by Debian's haproxy): two `pollama serve` on one
store, 50 concurrent chats all answered, model affinity, and a replica killed mid-run."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from lb_harness import HAProxy, loaded_on
from model_upload import create_from_gguf
from polling import wait_until
from server_proc import Server

Cluster = tuple[HAProxy, list[Server]]
REPLICA = "X-Pollama-Replica"  # set by the config: which server answered
INDEX = {"r1": 0, "r2": 1}


@pytest.fixture()
def cluster(tmp_path: Path, tiny_llama: Path) -> Iterator[Callable[[], Cluster]]:
    """Two replicas on one store (the first creates the models; the second, started after, never prunes) and
    HAProxy in front of them."""
    started: list[Server | HAProxy] = []

    def start() -> Cluster:
        store = tmp_path / "models"
        env = {"OLLAMA_KEEP_ALIVE": "10m", "OLLAMA_NUM_PARALLEL": "4"}
        writer = Server(store, env, log=tmp_path / "r1.log")
        started.append(writer.start())
        with writer.client() as http:
            for name in ("alpha", "beta"):
                create_from_gguf(http, name, tiny_llama)
        reader = Server(store, {**env, "OLLAMA_NOPRUNE": "1"}, log=tmp_path / "r2.log")
        started.append(reader.start())
        lb = HAProxy([writer, reader], tmp_path / "haproxy.log")
        started.append(lb.start())
        return lb, [writer, reader]

    yield start
    for proc in reversed(started):
        proc.stop()


def chat(http: httpx.Client, model: str, n: int = 6) -> httpx.Response:
    return http.post("/api/chat", json={"model": model, "stream": False, "options": {"num_predict": n},
                                        "messages": [{"role": "user", "content": "Count to ten."}]})


def test_fifty_concurrent_chats_all_answered(cluster: Callable[[], Cluster]) -> None:
    lb, _ = cluster()
    models = ["alpha", "beta", "ALPHA", "beta:latest", "alpha:latest"]
    with httpx.Client(base_url=lb.url, timeout=180, limits=httpx.Limits(max_connections=60)) as http:
        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda i: chat(http, models[i % len(models)]), range(50)))
    assert [r.status_code for r in answers] == [200] * 50, [r.text for r in answers if r.status_code != 200]
    assert all(r.json()["message"]["role"] == "assistant" and r.json()["done"] for r in answers)
    assert all(r.headers[REPLICA] in INDEX for r in answers)


def test_model_affinity(cluster: Callable[[], Cluster]) -> None:
    """One request at a time: each model always goes to the same replica, whatever its spelling, and is
    loaded there only; requests that name no model are answered too."""
    lb, replicas = cluster()
    with httpx.Client(base_url=lb.url, timeout=120) as http:
        for model, spellings in {"alpha": ("alpha", "Alpha", "alpha:latest"), "beta": ("beta", "BETA:latest")}.items():
            answered_by = {chat(http, spellings[i % len(spellings)]).headers[REPLICA] for i in range(6)}
            assert len(answered_by) == 1, (model, answered_by)
            assert loaded_on(replicas, f"{model}:latest") == [INDEX[answered_by.pop()]]
        tags = http.get("/api/tags")
        assert tags.status_code == 200 and {m["name"] for m in tags.json()["models"]} == {"alpha:latest",
                                                                                             "beta:latest"}
        header = http.post("/v1/chat/completions", headers={"X-Pollama-Model": "beta"},
                           json={"model": "beta", "max_tokens": 4, "messages": [{"role": "user", "content": "Hi"}]})
        assert header.status_code == 200 and header.headers[REPLICA] == chat(http, "beta").headers[REPLICA]


def _stream(lb: HAProxy, started: threading.Event, outcome: list[str]) -> None:
    """A long streamed chat: records "done" if it ends normally, else what broke it."""
    body = {"model": "alpha", "options": {"num_predict": 100000, "num_ctx": 100000},
            "messages": [{"role": "user", "content": "Tell me a very long story."}]}
    try:
        with httpx.stream("POST", lb.url + "/api/chat", json=body, timeout=60) as r:
            for line in r.iter_lines():
                started.set()
                if json.loads(line).get("done"):
                    outcome.append("done")
                    return
        outcome.append("ended without done")
    except httpx.HTTPError as e:
        outcome.append(type(e).__name__)


def _long_answer(lb: HAProxy) -> int:
    body = {"model": "alpha", "stream": False, "options": {"num_predict": 100000, "num_ctx": 100000},
            "messages": [{"role": "user", "content": "Tell me a very long story."}]}
    return httpx.post(lb.url + "/api/chat", json=body, timeout=60).status_code


def test_replica_killed_mid_run(cluster: Callable[[], Cluster]) -> None:
    lb, replicas = cluster()
    with httpx.Client(base_url=lb.url, timeout=120) as http:
        first = chat(http, "alpha")
    assert first.status_code == 200
    victim = INDEX[first.headers[REPLICA]]
    survivor = 1 - victim
    # three requests in all: with the config's bounded load (1.5 x the average) a fourth would spill over
    events = [threading.Event() for _ in range(2)]
    outcomes: list[list[str]] = [[] for _ in events]
    threads = [threading.Thread(target=_stream, args=(lb, e, o), daemon=True)
               for e, o in zip(events, outcomes, strict=True)]
    unstreamed: list[int] = []  # and a long answer not streamed, in flight on the same replica
    threads.append(threading.Thread(target=lambda: unstreamed.append(_long_answer(lb)), daemon=True))
    for t in threads:
        t.start()
    assert all(e.wait(60) for e in events), "the streams did not start"
    replicas[victim].proc.kill()  # type: ignore[union-attr]
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a request in flight on the killed replica hangs"
    assert all(o and o[0] != "done" for o in outcomes), outcomes  # they failed, and the client was told
    assert unstreamed == [502]  # HAProxy's answer for a replica gone before it answered

    with httpx.Client(base_url=lb.url, timeout=120) as http:
        after = [chat(http, model) for model in ("alpha", "beta") * 5]
    assert [r.status_code for r in after] == [200] * 10, [r.text for r in after]
    assert {r.headers[REPLICA] for r in after} == {f"r{survivor + 1}"}
    assert wait_until(lambda: loaded_on([replicas[survivor]], "alpha:latest") == [0], 10)
