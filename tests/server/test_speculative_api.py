"""Speculative decoding through the real server: the `speculative` option, a Modelfile DRAFT, their numbers
in the final response, and the same answers as without speculation (SmolLM2 quoting its prompt is where
n-gram lookup pays off; tiny random llamas make the draft pairs)."""

from __future__ import annotations

import base64
import concurrent.futures
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fixtures.quote import POEM, QUOTE
from fixtures.tiny_gguf import make_tiny_bert, make_tiny_llama
from model_upload import create_from_gguf, upload_blob
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from server_proc import Server

from pollama.config import settings
from pollama.gguf import read_gguf
from pollama.inference.stream import _speculation
from pollama.kvcache import bytes_per_token, cache_cells

GREEDY = {"temperature": 0, "num_predict": 60}


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pair")
    return make_tiny_llama(folder / "target.gguf"), make_tiny_llama(folder / "draft.gguf", seed=1)


@pytest.fixture(scope="module")
def srv(module_server: Any, smollm2: Path, tiny_pair: tuple[Path, Path], vision_pair: Path) -> Server:
    target, draft = tiny_pair
    server: Server = module_server(None, {"smol": smollm2, "tiny": target, "drafty": draft})
    with server.client() as http:
        create_from_gguf(http, "tiny-drafted", target, draft="drafty")
        create_from_gguf(http, "tiny-self", target, draft=upload_blob(http, target))
        create_from_gguf(http, "smol-tiny-draft", smollm2, draft="drafty")
        create_from_gguf(http, "smol-self", smollm2, draft="smol")
        files = {name: upload_blob(http, vision_pair / name) for name in ("model.gguf", "mmproj.gguf")}
        r = http.post("/api/create", json={"model": "vision", "files": files, "draft": "tiny", "stream": False})
        assert r.status_code == 200, r.text
    return server


def _generate(http: httpx.Client, model: str, prompt: str, **options: Any) -> dict[str, Any]:
    r = http.post("/api/generate", json={"model": model, "prompt": prompt, "raw": True, "stream": False,
                                         "options": {**GREEDY, **options}}, timeout=300)
    assert r.status_code == 200, r.text
    return r.json()


def test_ngram_lookup_on_smollm2_quoting_its_prompt(srv: Server) -> None:
    # The quote, up to the blank line after it. (What SmolLM2 writes after it can flip a token where two
    # candidates are nearly tied and the batch shape differs, speculating or not: bench/bench_speculative.py
    # shows such cases side by side.)
    with srv.client() as http:
        plain = _generate(http, "smol", QUOTE, num_predict=100, stop=["\n\n"])
        ngram = _generate(http, "smol", QUOTE, num_predict=100, stop=["\n\n"], speculative="ngram")
    assert ngram["response"] == plain["response"]
    assert ngram["response"].strip() == POEM
    assert "draft_tokens" not in plain
    assert ngram["draft_accepted_tokens"] > 0.4 * ngram["eval_count"], ngram
    assert ngram["draft_accepted_tokens"] <= ngram["draft_tokens"]


def test_draft_models_on_smollm2(srv: Server) -> None:
    # a poor draft (a random llama with SmolLM2's tokenizer) and SmolLM2 drafting for itself: the quote is
    # the plain answer either way, and a model drafting for itself is (nearly) always right
    with srv.client() as http:
        plain = _generate(http, "smol", QUOTE, num_predict=100, stop=["\n\n"])
        poor = _generate(http, "smol-tiny-draft", QUOTE, num_predict=100, stop=["\n\n"])
        itself = _generate(http, "smol-self", QUOTE, num_predict=100, stop=["\n\n"])
    assert poor["response"] == itself["response"] == plain["response"]
    assert itself["draft_accepted_tokens"] >= 0.9 * itself["draft_tokens"] > 0.5 * itself["eval_count"], itself


def test_four_concurrent_requests_two_speculating(srv: Server) -> None:
    # the tiny models' greedy text does not depend on the batch shape (see fixtures.tiny_gguf)
    asks = [("tiny-self", "The robot", "draft"), ("tiny", "Name three colours.", "off"),
            ("tiny-drafted", "Once upon a time", "draft"), ("tiny", "Once upon a time", "off")]
    with srv.client() as http:
        alone = [_generate(http, m, p, speculative="off")["response"] for m, p, _ in asks]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            together = list(pool.map(lambda a: _generate(http, a[0], a[1], speculative=a[2], draft_p_min=0), asks))
    assert [r["response"] for r in together] == alone
    assert [("draft_tokens" in r) for r in together] == [True, False, True, False]


def test_a_draft_model_is_stored_shown_inherited_and_used_by_default(srv: Server, tiny_pair: tuple[Path, Path]
                                                                     ) -> None:
    with srv.client() as http:
        show = http.post("/api/show", json={"model": "tiny-drafted"}).json()
        assert "\nDRAFT " in show["modelfile"]
        plain = _generate(http, "tiny", "Once upon a time", num_predict=80)
        drafted = _generate(http, "tiny-drafted", "Once upon a time", num_predict=80, draft_p_min=0)
        off = _generate(http, "tiny-drafted", "Once upon a time", num_predict=80, speculative="off")
        sizes = {m["name"]: m["size"] for m in http.get("/api/ps").json()["models"]}
        r = http.post("/api/create", json={"model": "tiny-drafted-child", "from": "tiny-drafted",
                                           "system": "Be brief.", "stream": False})
        assert r.status_code == 200, r.text
        child = http.post("/api/show", json={"model": "tiny-drafted-child"}).json()
        by_self = _generate(http, "tiny-self", "Once upon a time", num_predict=80, draft_p_min=0)
    assert drafted["response"] == off["response"] == plain["response"] == by_self["response"]
    assert drafted["draft_tokens"] > 0 and "draft_tokens" not in off
    # a model drafting for itself: (nearly) every proposal holds; a rare miss where the draft's one-token
    # step and the target's batched verification round a near tie differently
    assert by_self["draft_tokens"] > 60 and by_self["draft_accepted_tokens"] >= 0.9 * by_self["draft_tokens"]
    assert "\nDRAFT " in child["modelfile"]
    # the memory estimate counts the draft: its weights and an f16 KV cache per slot
    extra = sizes["tiny-drafted:latest"] - sizes["tiny:latest"]
    draft_file = tiny_pair[1]
    per_slot = bytes_per_token(read_gguf(draft_file), "f16") * cache_cells(4096)
    assert extra > draft_file.stat().st_size and (extra - draft_file.stat().st_size) % per_slot == 0


def _draft_counters(http: httpx.Client) -> tuple[float, float]:
    found = {s.name: s.value for family in text_string_to_metric_families(http.get("/metrics").text)
             for s in family.samples if s.labels.get("model") == "tiny-self:latest"}
    return found.get("pollama_draft_tokens_total", 0.0), found.get("pollama_draft_accepted_tokens_total", 0.0)


def test_metrics_count_what_the_responses_report(srv: Server) -> None:
    with srv.client() as http:
        before = _draft_counters(http)
        answers = [_generate(http, "tiny-self", p, draft_p_min=0) for p in ("A cat", "Two dogs")]
        after = _draft_counters(http)
    assert after[0] - before[0] == sum(a["draft_tokens"] for a in answers) > 0
    assert after[1] - before[1] == sum(a["draft_accepted_tokens"] for a in answers)


def test_tool_calls_and_formats_under_speculation(srv: Server) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    body = {"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": tools,
            "tool_choice": "required", "temperature": 0, "max_tokens": 60}
    with srv.client() as http:
        calls = [http.post("/v1/chat/completions", json={"model": m, **body}, timeout=300).json()
                 for m in ("tiny", "tiny-self")]
        formats = [http.post("/api/chat", json={
            "model": m, "messages": [{"role": "user", "content": "JSON please"}], "format": "json",
            "stream": False, "options": {**GREEDY, "draft_p_min": 0}}, timeout=300).json() for m in ("tiny", "tiny-self")]
    plain_call, spec_call = (c["choices"][0]["message"]["tool_calls"][0]["function"] for c in calls)
    assert spec_call == plain_call and spec_call["name"] == "get_weather"
    assert formats[1]["message"]["content"] == formats[0]["message"]["content"]
    assert formats[1]["message"]["content"].lstrip().startswith("{") and formats[1]["draft_tokens"] > 0


def test_images_with_speculation(srv: Server) -> None:
    # n-gram lookup runs beside an image (never proposing its placeholder); the draft model sees no images,
    # so a request with one decodes without it
    image = base64.b64encode(_png()).decode()
    with srv.client() as http:
        def chat(speculative: str) -> dict[str, Any]:
            r = http.post("/api/chat", json={"model": "vision", "stream": False, "options": {
                **GREEDY, "speculative": speculative, "draft_p_min": 0}, "messages": [
                {"role": "user", "content": "What is this? What is this?", "images": [image]}]}, timeout=300)
            assert r.status_code == 200, r.text
            return r.json()

        plain, ngram, draft = chat("off"), chat("ngram"), chat("draft")
        text_only = http.post("/api/generate", json={"model": "vision", "prompt": "Once upon a time", "raw": True,
                                                     "stream": False, "options": {**GREEDY, "draft_p_min": 0}})
    assert ngram["message"] == plain["message"] == draft["message"]
    assert "draft_tokens" not in draft
    assert text_only.json()["draft_tokens"] > 0  # the same model drafts when no image is in the prompt


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(("options", "message"), [
    ({"speculative": "fast"}, 'option "speculative" must be one of off, ngram, draft'),
    ({"speculative": "draft"}, 'speculative "draft" needs a model with a DRAFT model'),
    ({"speculative": "ngram", "draft_max": 100}, "option 'draft_max' must be between 0 and 64"),
    ({"speculative": 1}, 'option "speculative" must be of type string'),
])
def test_bad_speculation_options_are_400(srv: Server, options: dict[str, Any], message: str) -> None:
    with srv.client() as http:
        r = http.post("/api/generate", json={"model": "tiny", "prompt": "hi", "stream": False, "options": options})
    assert r.status_code == 400 and r.json() == {"error": message}


def test_incompatible_or_missing_drafts_are_refused(srv: Server, tmp_path: Path) -> None:
    bert = make_tiny_bert(tmp_path / "bert.gguf")
    with srv.client() as http:
        before = http.get("/api/tags").json()
        for draft, message in [(upload_blob(http, bert), "it is an embedding model"),
                               ("no-such-model", "model 'no-such-model' not found")]:
            r = http.post("/api/create", json={"model": "bad-draft", "from": "tiny", "draft": draft, "stream": False})
            assert r.status_code == 400 and message in r.json()["error"], r.text
        assert http.get("/api/tags").json() == before


@pytest.mark.parametrize(("env", "has_draft", "expected"), [
    ("", False, "off"), ("", True, "draft"), ("ngram", False, "ngram"), ("ngram", True, "draft"),
    ("off", True, "off"), ("draft", False, "off"),
])
def test_the_server_wide_default(env: str, has_draft: bool, expected: str) -> None:
    sched = SimpleNamespace(cfg=SimpleNamespace(speculative=env))
    model = SimpleNamespace(draft_path=Path("/draft.gguf") if has_draft else None)
    assert _speculation(sched, model, {"speculative": None})["speculative"] == expected  # type: ignore[arg-type]
    assert _speculation(sched, model, {"speculative": "ngram"})["speculative"] == "ngram"  # type: ignore[arg-type]


def test_ollama_speculative_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, value in (("NGRAM", "ngram"), ("draft", "draft"), ("sometimes", ""), ("", "")):
        monkeypatch.setenv("OLLAMA_SPECULATIVE", raw)
        assert settings().speculative == value
