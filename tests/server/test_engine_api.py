"""Inference over HTTP against the real server, on tiny random-weight models (fast, deterministic)."""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
from pathlib import Path

import httpx
import pytest
from model_upload import create_from_gguf
from server_proc import Server, ServerFactory


def ndjson(resp: httpx.Response) -> list[dict]:
    return [json.loads(x) for x in resp.text.splitlines() if x.strip()]


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, tiny_llama: Path) -> Server:
    return module_server({"OLLAMA_NUM_PARALLEL": "4"}, {"tiny": tiny_llama})


GREEDY = {"temperature": 0, "num_predict": 24}


def generate(http: httpx.Client, **body: object) -> dict:
    r = http.post("/api/generate", json={"model": "tiny", "stream": False, **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_generate_greedy_is_deterministic_and_streams(http: httpx.Client) -> None:
    a = generate(http, prompt="hello world", raw=True, options=GREEDY)
    b = generate(http, prompt="hello world", raw=True, options=GREEDY)
    assert a["response"] == b["response"] and a["response"]
    assert a["done"] and a["done_reason"] == "length" and a["eval_count"] == 24
    for key in ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_duration"):
        assert isinstance(a[key], int)
    assert "context" not in a  # raw requests return no context
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "hello world", "raw": True, "options": GREEDY})
    chunks = ndjson(r)
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert "".join(c["response"] for c in chunks) == a["response"]
    assert chunks[-1]["done"] is True and all(c["done"] is False for c in chunks[:-1])


def test_seed_reproducible(http: httpx.Client) -> None:
    opts = {"temperature": 1.0, "seed": 42, "num_predict": 16}
    a = generate(http, prompt="once upon", raw=True, options=opts)
    b = generate(http, prompt="once upon", raw=True, options=opts)
    c = generate(http, prompt="once upon", raw=True, options={**opts, "seed": 43})
    assert a["response"] == b["response"]
    assert a["response"] != c["response"]


def test_stop_strings_across_tokens_are_not_emitted(http: httpx.Client) -> None:
    full = generate(http, prompt="the cat", raw=True, options={**GREEDY, "num_predict": 40})["response"]
    assert len(full) > 12
    stop = full[5:11]  # spans token boundaries in general
    cut = generate(http, prompt="the cat", raw=True, options={**GREEDY, "num_predict": 40, "stop": [stop]})
    assert cut["response"] == full[: full.index(stop)]
    assert cut["done_reason"] == "stop"
    assert "stop_sequence" not in cut  # the runner reports it for the Anthropic API only
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "the cat", "raw": True,
                                         "options": {**GREEDY, "num_predict": 40, "stop": [stop]}})
    chunks = ndjson(r)
    assert chunks[-1]["done_reason"] == "stop" and all("stop_sequence" not in chunk for chunk in chunks)


def test_context_continues_and_prefix_is_reused(http: httpx.Client) -> None:
    first = generate(http, prompt="count with me", options=GREEDY)
    assert first["context"]
    second = generate(http, prompt="and again", context=first["context"], options=GREEDY)
    # the shared prefix (the whole first exchange) comes from the slot's cache
    assert second["prompt_eval_count"] < len(first["context"])


def test_chat(http: httpx.Client) -> None:
    r = http.post("/api/chat", json={"model": "tiny", "stream": False, "options": GREEDY,
                                     "messages": [{"role": "system", "content": "be brief"},
                                                  {"role": "user", "content": "hi"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"]["role"] == "assistant" and body["message"]["content"]
    assert body["done"] and body["eval_count"] == 24
    r = http.post("/api/chat", json={"model": "tiny", "options": GREEDY,
                                     "messages": [{"role": "user", "content": "hi"}]})
    chunks = ndjson(r)
    assert chunks[-1]["done"] and all("message" in c for c in chunks)


@pytest.mark.parametrize("path, body", [("/api/chat", {"messages": [{"role": "user", "content": "ping"}]}),
                                        ("/api/generate", {"prompt": "ping"})])
def test_debug_render_only_answers_under_ollamas_key(http: httpx.Client, path: str, body: dict) -> None:
    r = http.post(path, json={"model": "tiny", "stream": False, "_debug_render_only": True, **body})
    assert r.status_code == 200
    answer = r.json()
    assert "<|im_start|>user\nping<|im_end|>" in answer["_debug_info"]["rendered_template"]
    assert "debug_info" not in answer and answer["done"] is True


def test_load_unload_and_ps(http: httpx.Client) -> None:
    r = generate(http, prompt="", keep_alive="10m")
    assert r["done_reason"] == "load"
    ps = http.get("/api/ps").json()["models"]
    tiny = next(m for m in ps if m["name"] == "tiny:latest")
    assert tiny["size_vram"] == 0 and tiny["context_length"] > 0 and tiny["expires_at"]
    r = generate(http, prompt="", keep_alive=0)
    assert r["done_reason"] == "unload"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and http.get("/api/ps").json()["models"]:
        time.sleep(0.1)
    assert http.get("/api/ps").json()["models"] == []


def test_parallel_requests_match_single_stream(http: httpx.Client) -> None:
    prompts = [f"story number {i}" for i in range(6)]
    single = {p: generate(http, prompt=p, raw=True, options=GREEDY)["response"] for p in prompts}

    def one(p: str) -> str:
        with httpx.Client(base_url=http.base_url, timeout=120) as c:
            return generate(c, prompt=p, raw=True, options=GREEDY)["response"]

    with cf.ThreadPoolExecutor(6) as pool:
        together = dict(zip(prompts, pool.map(one, prompts), strict=True))
    assert together == single


def test_disconnect_frees_the_slot(srv: Server, http: httpx.Client) -> None:
    # with 4 slots, cancel 4 endless generations mid-stream; new requests must still be served at once
    for _ in range(4):
        with httpx.Client(base_url=srv.url, timeout=60) as c, c.stream(
            "POST", "/api/generate",
            json={"model": "tiny", "prompt": "go", "raw": True, "options": {"num_predict": 100000}},
        ) as r:
            for line in r.iter_lines():
                if line:
                    break
    t = time.monotonic()
    out = generate(http, prompt="after", raw=True, options={**GREEDY, "num_predict": 4})
    assert out["eval_count"] == 4 and time.monotonic() - t < 30


def test_context_shift_past_num_ctx(http: httpx.Client) -> None:
    r = generate(http, prompt="a", raw=True, options={"temperature": 0, "num_ctx": 64, "num_predict": 150})
    assert r["eval_count"] == 150 and r["done_reason"] == "length"


def test_option_errors(http: httpx.Client) -> None:
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "options": {"temperature": "hot"}})
    assert r.status_code == 400 and "error" in r.json()
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "stream": False,
                                         "options": {"num_predict": 2, "made_up_option": 1}})
    assert r.status_code == 200  # unknown keys are ignored
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "raw": True, "system": "s"})
    assert r.status_code == 400
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "think": True})
    assert r.status_code == 400 and r.json()["error"] == '"tiny" does not support thinking'
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "images": ["aGk="]})
    assert r.status_code == 400 and "images" in r.json()["error"]
    r = http.post("/api/generate", json={"model": "missing", "prompt": "x"})
    assert r.status_code == 404 and r.json() == {"error": "model 'missing' not found"}
    r = http.post("/api/chat", json={"model": "tiny", "messages": [{"content": "no role"}]})
    assert r.status_code == 400


def test_runner_refusals_are_bad_requests(http: httpx.Client) -> None:
    r = http.post("/api/embed", json={"model": "tiny", "input": ["hello", ""]})
    assert r.status_code == 400 and r.json() == {"error": "Input content cannot be empty"}
    r = http.post("/v1/embeddings", json={"model": "tiny", "input": ["hello", ""]})
    assert r.status_code == 400 and r.json()["error"]["message"] == "Input content cannot be empty"
    assert r.json()["error"]["type"] == "invalid_request_error"
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "context": [10**9], "stream": False})
    assert r.status_code == 400 and r.json() == {"error": "tokens must be a list of token ids"}
    r = http.post("/api/embed", json={"model": "tiny", "input": "word " * 3000, "truncate": False,
                                      "options": {"num_ctx": 256}})
    assert r.status_code == 400 and r.json() == {"error": "the input length exceeds the context length"}


@pytest.mark.parametrize("interval", ["0", "1h"])
def test_stream_interval_sets_how_often_text_is_sent(server_factory,  # type: ignore[no-untyped-def]
                                                      tiny_llama: Path, interval: str) -> None:
    s = server_factory({"POLLAMA_STREAM_INTERVAL": interval})
    with s.client() as c:
        create_from_gguf(c, "tiny", tiny_llama)
        r = c.post("/api/generate", json={"model": "tiny", "prompt": "hello world", "raw": True, "options": GREEDY})
        chunks = ndjson(r)
        whole = generate(c, prompt="hello world", raw=True, options=GREEDY)
    text = [ch["response"] for ch in chunks if not ch["done"]]
    assert "".join(text) == whole["response"] and chunks[-1]["eval_count"] == 24
    if interval == "0":  # as Ollama: a line per token (a token ending mid-character waits for the next)
        assert len(text) >= 18
    else:  # the first text at once, the rest when the generation ends
        assert len(text) == 2


def test_server_busy_with_max_queue(server_factory, tiny_llama: Path) -> None:  # type: ignore[no-untyped-def]
    s = server_factory({"OLLAMA_MAX_QUEUE": "1", "OLLAMA_NUM_PARALLEL": "1"})
    with s.client() as c:
        create_from_gguf(c, "tiny", tiny_llama)
        generate(c, prompt="", keep_alive="5m")  # loaded

    def slow(_: int) -> int:
        with httpx.Client(base_url=s.url, timeout=120) as c:
            r = c.post("/api/generate", json={"model": "tiny", "prompt": "x", "raw": True, "stream": False,
                                              "options": {"num_predict": 3000, "temperature": 0}})
            return r.status_code

    with cf.ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(slow, range(4)))
    assert 503 in codes and 200 in codes
    with httpx.Client(base_url=s.url) as c:
        r = c.post("/api/generate", json={"model": "tiny", "prompt": "x"})  # idle again: served
        assert r.status_code == 200


def test_corrupt_gguf_does_not_take_the_server_down(srv: Server, http: httpx.Client, tiny_llama: Path,
                                                    tmp_path: Path) -> None:
    data = tiny_llama.read_bytes()
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(data[: len(data) // 2])  # header intact, tensor data truncated
    create_from_gguf(http, "broken", broken)
    r = http.post("/api/generate", json={"model": "broken", "prompt": "x", "stream": False})
    assert r.status_code == 500 and "error" in r.json()
    assert generate(http, prompt="still alive", raw=True, options={**GREEDY, "num_predict": 3})["eval_count"] == 3
