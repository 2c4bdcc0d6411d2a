"""GET /metrics over HTTP against a real server: scraped with prometheus-client's own parser, a known
sequence of requests moves each counter by exactly what it should; /metrics needs the API key when keys
are set."""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from load_gate import LoadGate
from model_upload import create_from_gguf
from polling import wait_until
from procinfo import children
from prometheus_client.parser import text_string_to_metric_families
from server_proc import Server

KEY = {"Authorization": "Bearer metrics-key"}
MODEL = "tiny:latest"
SHORT = {"num_predict": 5, "temperature": 0}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory, tiny_llama: Path) -> LoadGate:
    return LoadGate(tmp_path_factory.mktemp("gate"), tiny_llama)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, tiny_llama: Path, gate: LoadGate) -> Iterator[Server]:
    env = {"POLLAMA_API_KEYS": "metrics-key", "OLLAMA_MAX_QUEUE": "1", "OLLAMA_NUM_PARALLEL": "1",
           **gate.env()}
    with Server(tmp_path_factory.mktemp("metrics") / "models", env) as s, client(s) as c:
        create_from_gguf(c, "tiny", tiny_llama)
        yield s


def client(s: Server) -> httpx.Client:
    return httpx.Client(base_url=s.url, headers=KEY, timeout=120)


def scrape(c: httpx.Client) -> Samples:
    r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def generate(c: httpx.Client, **body: object) -> httpx.Response:
    return c.post("/api/generate", json={"model": MODEL, "stream": False, **body})


def test_counters_move_by_what_a_known_sequence_adds(srv: Server, gate: LoadGate) -> None:
    with client(srv) as c:
        before = scrape(c)
        with cf.ThreadPoolExecutor(1) as pool:  # its load is held: it waits, and fills the queue of 1
            first = pool.submit(generate, c, prompt="hello", raw=True, options=SHORT)
            wait_until(lambda: value(scrape(c), "pollama_requests_waiting") == 1, timeout=30)
            busy = generate(c, prompt="x")
            gate.open()
            answers = [first.result(timeout=60)]
        assert busy.status_code == 503, busy.text
        answers.append(generate(c, prompt="the second", raw=True, options=SHORT))
        answers.append(c.post("/api/chat", json={"model": MODEL, "stream": False, "options": SHORT,
                                                 "messages": [{"role": "user", "content": "hi"}]}))
        assert [r.status_code for r in answers] == [200, 200, 200], [r.text for r in answers]
        assert generate(c, model="no-such-model", prompt="x").status_code == 404
        after = scrape(c)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    done = [r.json() for r in answers]
    assert moved("pollama_generation_tokens_total", model=MODEL) == sum(d["eval_count"] for d in done)
    assert moved("pollama_prompt_tokens_total", model=MODEL) == sum(d["prompt_eval_count"] for d in done)
    assert moved("pollama_time_to_first_token_seconds_count", model=MODEL) == 3
    assert moved("pollama_time_per_output_token_seconds_count", model=MODEL) == 3
    assert moved("pollama_queue_rejections_total") == 1
    assert moved("pollama_model_loads_total", model=MODEL) == 1
    assert moved("pollama_model_load_duration_seconds_count", model=MODEL) == 1
    generate_requests = {status: moved("pollama_requests_total", method="POST", route="/api/generate",
                                       status=status) for status in ("200", "404", "503")}
    assert generate_requests == {"200": 2, "404": 1, "503": 1}
    assert moved("pollama_requests_total", method="POST", route="/api/chat", status="200") == 1
    assert moved("pollama_request_duration_seconds_count", method="POST", route="/api/generate") == 4
    assert value(after, "pollama_models_loaded") == 1
    assert value(after, "pollama_model_memory_bytes", model=MODEL) > 0
    assert value(after, "pollama_requests_running") == value(after, "pollama_requests_waiting") == 0


def test_prompt_tokens_served_from_the_prefix_cache(srv: Server, gate: LoadGate) -> None:
    gate.open()
    body = {"prompt": "the same prompt, twice in a row", "options": SHORT}
    with client(srv) as c:
        before = scrape(c)
        done = [generate(c, **body).json() for _ in range(2)]  # one slot: the second finds the first's prompt
        after = scrape(c)
    prompts = [len(d["context"]) - d["eval_count"] for d in done]
    cached = [p - d["prompt_eval_count"] for p, d in zip(prompts, done, strict=True)]
    assert prompts[0] == prompts[1] and cached[1] == prompts[1] - 1  # the last prompt token is evaluated again
    moved = value(after, "pollama_prompt_cached_tokens_total", model=MODEL) - \
        value(before, "pollama_prompt_cached_tokens_total", model=MODEL)
    assert moved == sum(cached)


def test_a_crashed_runner_and_an_unload_are_counted(srv: Server, gate: LoadGate) -> None:
    gate.open()
    with client(srv) as c:
        assert generate(c, prompt="x", raw=True, options=SHORT).status_code == 200  # loaded
        before = scrape(c)
        assert srv.proc is not None
        (runner,) = children(srv.proc.pid)
        os.kill(runner, signal.SIGKILL)
        wait_until(lambda: runner not in children(srv.proc.pid), timeout=10)
        assert generate(c, prompt="x", raw=True, options=SHORT).status_code == 200  # a new runner
        assert generate(c, keep_alive=0).status_code == 200  # unloaded
        after = scrape(c)

    def moved(name: str) -> float:
        return value(after, name, model=MODEL) - value(before, name, model=MODEL)

    assert (moved("pollama_runner_crashes_total"), moved("pollama_model_loads_total")) == (1, 1)
    assert moved("pollama_model_unloads_total") == 1
    assert value(after, "pollama_models_loaded") == 0


def test_metrics_need_the_key_and_name_unmatched_paths_once(srv: Server) -> None:
    with httpx.Client(base_url=srv.url) as anonymous:
        r = anonymous.get("/metrics")
        assert r.status_code == 401 and r.json() == {"error": "unauthorized"}
        assert anonymous.get("/").status_code == 200
    with client(srv) as c:
        before = scrape(c)
        for path in ("/api/nothing-here", "/api/nothing-there"):
            assert c.get(path).status_code == 404
        after = scrape(c)
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "pollama_requests_total", **labels) - value(before, "pollama_requests_total", **labels) == 2
    assert value(after, "pollama_requests_total", method="GET", route="unmatched", status="401") >= 1
    assert not [key for key in after if ("route", "/api/nothing-here") in key[1]]


def test_refusals_and_odd_methods_keep_the_label_set_bounded(srv: Server) -> None:
    with client(srv) as c:
        before = scrape(c)
        assert c.get("/api/tags", headers={"Origin": "http://elsewhere.example"}).status_code == 403
        assert c.request("PROPFIND", "/api/tags").status_code == 405
        after = scrape(c)

    def moved(**labels: str) -> float:
        return value(after, "pollama_requests_total", **labels) - value(before, "pollama_requests_total", **labels)

    assert moved(method="GET", route="unmatched", status="403") == 1  # refused before routing
    assert moved(method="other", route="/api/tags", status="405") == 1  # not a method name of its own
    assert not [key for key in after if ("method", "PROPFIND") in key[1]]
