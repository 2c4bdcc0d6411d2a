"""Scheduling over HTTP: keep_alive forms, eviction under OLLAMA_MAX_LOADED_MODELS, reload on num_ctx,
`pollama ps` / `pollama stop`; and the generate fields that shape a prompt (suffix, template, system)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from polling import wait_until
from procinfo import children
from server_proc import Server

FIM = "<fim_prefix>{{ .Prompt }}<fim_suffix>{{ .Suffix }}<fim_middle>"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tiny = make_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny.gguf")
    data = tiny.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    env = {"OLLAMA_MAX_LOADED_MODELS": "1", "OLLAMA_NUM_PARALLEL": "1"}
    with Server(tmp_path_factory.mktemp("sched") / "models", env) as s, s.client() as c:
        assert c.post(f"/api/blobs/{digest}", content=data).status_code in (200, 201)
        for name, extra in (("tiny", {}), ("other", {"system": "other model"}), ("fim", {"template": FIM})):
            r = c.post("/api/create", json={"model": name, "files": {"tiny.gguf": digest}, "stream": False, **extra})
            assert r.status_code == 200, r.text
        yield s


@pytest.fixture()
def http(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as c:
        yield c


def load(http: httpx.Client, model: str, keep_alive: object, **options: object) -> None:
    body = {"model": model, "prompt": "", "keep_alive": keep_alive, "stream": False, "options": options}
    r = http.post("/api/generate", json=body)
    assert r.status_code == 200 and r.json()["done_reason"] == "load", r.text


def running(http: httpx.Client) -> dict[str, dict]:
    return {m["name"]: m for m in http.get("/api/ps").json()["models"]}


def expires_in(entry: dict) -> float:
    return (dt.datetime.fromisoformat(entry["expires_at"].replace("Z", "+00:00")) - dt.datetime.now(dt.UTC)).total_seconds()


def test_keep_alive_forms(http: httpx.Client) -> None:
    load(http, "tiny", "1h30m")
    assert 90 * 60 - 30 < expires_in(running(http)["tiny:latest"]) <= 90 * 60
    load(http, "tiny", -1)  # negative: forever
    assert expires_in(running(http)["tiny:latest"]) > 100 * 365 * 86400
    load(http, "tiny", 2)  # a plain number is seconds: unloaded on its own soon after
    assert 0 < expires_in(running(http)["tiny:latest"]) <= 2
    assert wait_until(lambda: "tiny:latest" not in running(http))


def test_max_loaded_models_evicts_the_idle_model(http: httpx.Client) -> None:
    load(http, "tiny", "10m")
    load(http, "other", "10m")
    assert list(running(http)) == ["other:latest"]  # OLLAMA_MAX_LOADED_MODELS=1: tiny made room
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "raw": True, "stream": False,
                                         "options": {"num_predict": 3, "temperature": 0}})
    assert r.status_code == 200 and r.json()["eval_count"] == 3
    assert list(running(http)) == ["tiny:latest"]


def test_changing_num_ctx_reloads(http: httpx.Client) -> None:
    load(http, "tiny", "10m", num_ctx=256)
    first = running(http)["tiny:latest"]
    assert first["context_length"] == 256
    load(http, "tiny", "10m", num_ctx=512)
    assert running(http)["tiny:latest"]["context_length"] == 512


def test_load_time_options_are_clamped_not_crashing_or_reloading(srv: Server, http: httpx.Client) -> None:
    def served(**options: object) -> int:
        r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "raw": True, "stream": False,
                                             "keep_alive": "10m",
                                             "options": {"num_predict": 2, "temperature": 0, **options}})
        assert r.status_code == 200 and r.json()["eval_count"] == 2, (options, r.text)
        (runner,) = children(srv.proc.pid)
        return runner

    loaded = served()
    # absurd, negative and zero values mean the default (num_thread: at most the CPUs): the same runner
    for options in ({"num_thread": 1_000_000}, {"num_thread": -1}, {"num_thread": 0}, {"num_batch": -1},
                    {"num_batch": 0}, {"num_ctx": 0}, {"num_ctx": -5}):
        assert served(**options) == loaded, options
    # num_batch at most num_ctx, num_ctx at most the model's 2048: one reload, then values past the bounds
    # land on the same runner
    clamped = served(num_batch=10**9, num_ctx=10**9)
    assert clamped != loaded and running(http)["tiny:latest"]["context_length"] == 2048
    assert served(num_batch=4096, num_ctx=4096) == clamped
    assert srv.logs().count("llama runner process has terminated") == 0


def test_context_beyond_memory_is_refused_before_loading(srv: Server, http: httpx.Client,
                                                         tmp_path: pathlib.Path) -> None:
    huge = make_tiny_llama(tmp_path / "huge.gguf", ctx=1 << 30)  # trained for 2**30 tokens: 512 GiB of cache
    data = huge.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert http.post(f"/api/blobs/{digest}", content=data).status_code in (200, 201)
    r = http.post("/api/create", json={"model": "huge", "files": {"huge.gguf": digest}, "stream": False})
    assert r.status_code == 200, r.text
    r = http.post("/api/generate", json={"model": "huge", "prompt": "x", "options": {"num_ctx": 1 << 30}})
    assert r.status_code == 500
    assert re.fullmatch(r"model requires more system memory \(512\.\d GiB\) than is available \(.+\)",
                        r.json()["error"]), r.text
    assert "loading huge" not in srv.logs()
    load(http, "tiny", "10m")  # the server goes on serving


def test_cli_ps_and_stop(srv: Server, http: httpx.Client) -> None:
    load(http, "tiny", "10m")
    env = {**os.environ, "OLLAMA_HOST": srv.url}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pollama", *args], env=env, capture_output=True, text=True,
                              timeout=60)

    out = cli("ps")
    assert out.returncode == 0
    header, row = out.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    assert row.startswith("tiny:latest") and "100% CPU" in row
    assert cli("stop", "tiny").returncode == 0
    assert wait_until(lambda: "tiny:latest" not in running(http))
    missing = cli("stop", "tiny")
    assert missing.returncode == 1 and 'couldn\'t find model "tiny" to stop' in missing.stderr


def render(http: httpx.Client, **body: object) -> str:
    r = http.post("/api/generate", json={"stream": False, "_debug_render_only": True, **body})
    assert r.status_code == 200, r.text
    return r.json()["_debug_info"]["rendered_template"]


def test_suffix_fills_in_the_middle(http: httpx.Client) -> None:
    assert render(http, model="fim", prompt="def f(x):", suffix="    return y") == (
        "<fim_prefix>def f(x):<fim_suffix>    return y<fim_middle>")
    r = http.post("/api/generate", json={"model": "fim", "prompt": "def f(x):", "suffix": "    return y",
                                         "stream": False, "options": {"num_predict": 4, "temperature": 0}})
    assert r.status_code == 200 and r.json()["eval_count"] == 4
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "a", "suffix": "b"})
    assert r.status_code == 400 and r.json() == {"error": '"tiny" does not support insert'}
    caps = http.post("/api/show", json={"model": "fim"}).json()["capabilities"]
    assert "insert" in caps


def test_template_and_system_overrides(http: httpx.Client) -> None:
    assert render(http, model="other", prompt="hi", template="[{{ .System }}|{{ .Prompt }}]") == "[other model|hi]"
    assert render(http, model="other", prompt="hi", system="override",
                  template="[{{ .System }}|{{ .Prompt }}]") == "[override|hi]"
    assert "<|im_start|>system\noverride<|im_end|>" in render(http, model="other", prompt="hi", system="override")
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "raw": True, "template": "{{ .Prompt }}"})
    assert r.status_code == 400 and r.json() == {"error": "raw mode does not support template, system, or context"}
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "raw": True, "context": [1, 2]})
    assert r.status_code == 400
