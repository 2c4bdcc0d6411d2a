"""The request log over HTTP against a real server: one INFO line per request, written when its response
has ended (a stream's too, and when its client left), with the id also sent back as X-Request-Id; JSON lines
with POLLAMA_LOG_FORMAT=json; the rendered prompt at OLLAMA_DEBUG=1; POLLAMA_METRICS=0 turns it all off.
A generation cut short by its client still counts its tokens, in the log and in /metrics."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from polling import wait_until
from prometheus_client.parser import text_string_to_metric_families
from server_proc import Server, ServerFactory

MODEL = "tiny:latest"
SHORT = {"num_predict": 6, "temperature": 0}
ENDLESS = {"num_predict": 1_000_000, "temperature": 0}  # the tiny llama's greedy text never ends (sampled, it may)
KEY = {"Authorization": "Bearer log-key"}
_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def text_fields(line: str) -> dict[str, Any]:
    """A `key=value` line as the server writes it (quoted values are JSON strings; numbers stay text)."""
    return {k: json.loads(v) if v.startswith('"') else v for k, v in _PAIR.findall(line)}


def text_requests(srv: Server) -> list[dict[str, Any]]:
    return [f for f in map(text_fields, srv.logs().splitlines()) if f.get("msg") == "request"]


def json_records(srv: Server) -> list[dict[str, Any]]:
    """Every line of a JSON-format server log, parsed (any line that is not one JSON object fails)."""
    return [json.loads(line) for line in srv.logs().splitlines() if line.strip()]


def logged(srv: Server, request_id: str, read: Any = text_requests) -> dict[str, Any]:
    """The request line with `request_id`, once the server has written it."""
    found: list[dict[str, Any]] = []
    wait_until(lambda: found.extend(r for r in read(srv) if r.get("id") == request_id) or found, timeout=15)
    assert len(found) == 1, f"{request_id}: {found}"
    return found[0]


@pytest.fixture(scope="module")
def text_srv(module_server: ServerFactory, tiny_llama: Path) -> Server:
    return module_server({"OLLAMA_DEBUG": "1", "OLLAMA_NUM_PARALLEL": "1", "POLLAMA_STREAM_INTERVAL": "0"},
                         {"tiny": tiny_llama})


def test_one_line_per_request_with_its_id_model_and_counts(text_srv: Server) -> None:
    with text_srv.client() as c:
        r = c.post("/api/generate", headers={"X-Request-Id": "client-id-1"},
                   json={"model": "tiny", "prompt": "hello", "raw": True, "stream": False, "options": SHORT})
    assert r.status_code == 200 and r.headers["x-request-id"] == "client-id-1", r.text
    done = r.json()
    line = logged(text_srv, "client-id-1")
    assert line["level"] == "INFO"
    assert {k: line[k] for k in ("method", "route", "path", "status", "model", "outcome")} == {
        "method": "POST", "route": "/api/generate", "path": "/api/generate", "status": "200", "model": MODEL,
        "outcome": "completed"}
    assert (int(line["prompt_eval_count"]), int(line["eval_count"])) == (done["prompt_eval_count"],
                                                                         done["eval_count"])
    assert float(line["eval_s"]) == pytest.approx(done["eval_duration"] / 1e9, abs=1e-5)
    assert 0 < float(line["prompt_eval_s"]) <= float(line["duration_s"])


def test_ids_are_generated_unless_the_client_sent_a_sane_one(text_srv: Server) -> None:
    with text_srv.client() as c:
        unknown = c.get("/api/nothing-here")
        odd = c.get("/api/version", headers={"X-Request-Id": 'bad "id" with spaces'})
        long = c.get("/api/version", headers={"X-Request-Id": "x" * 129})
        missing = c.post("/api/show", json={"model": "no-such-model"})
    ids = [r.headers["x-request-id"] for r in (unknown, odd, long, missing)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 4, ids
    line = logged(text_srv, ids[0])
    assert (line["route"], line["path"], line["status"]) == ("unmatched", "/api/nothing-here", "404")
    assert "model" not in line and "eval_count" not in line
    assert logged(text_srv, ids[1])["route"] == "/api/version"


def test_a_stream_is_logged_when_it_ends(text_srv: Server) -> None:
    body = {"model": "tiny", "prompt": "a stream", "raw": True, "options": SHORT}
    with text_srv.client() as c, c.stream("POST", "/api/generate", json=body,
                                          headers={"X-Request-Id": "streamed-1"}) as r:
        assert r.headers["x-request-id"] == "streamed-1"
        chunks = [json.loads(line) for line in r.iter_lines() if line]
    line = logged(text_srv, "streamed-1")
    assert (line["status"], line["outcome"], int(line["eval_count"])) == ("200", "completed",
                                                                         chunks[-1]["eval_count"])


def test_a_stream_its_client_left_is_logged_and_its_tokens_counted(text_srv: Server) -> None:
    metric = ("pollama_generation_tokens_total", (("model", MODEL),))
    before = scrape(text_srv).get(metric, 0.0)
    body = {"model": "tiny", "prompt": "go on", "raw": True, "options": ENDLESS}
    with text_srv.client() as c, c.stream("POST", "/api/generate", json=body,
                                          headers={"X-Request-Id": "left-1"}) as r:
        lines = r.iter_lines()
        received = [json.loads(next(lines)) for _ in range(5)]
    assert all(not chunk["done"] for chunk in received)
    line = logged(text_srv, "left-1")
    assert (line["status"], line["outcome"], line["cut"]) == ("200", "client closed", "true")
    tokens = int(line["eval_count"])
    assert tokens >= 5 and int(line["prompt_eval_count"]) > 0  # one piece per token (no stream interval)
    assert scrape(text_srv)[metric] - before == tokens


def test_a_request_its_client_gave_up_on_is_logged_as_such(text_srv: Server) -> None:
    body = {"model": "tiny", "prompt": "go on", "raw": True, "stream": False, "options": ENDLESS}
    with httpx.Client(base_url=text_srv.url, timeout=3) as c, pytest.raises(httpx.ReadTimeout):
        c.post("/api/generate", json=body, headers={"X-Request-Id": "gave-up-1"})
    line = logged(text_srv, "gave-up-1")
    assert (line["status"], line["outcome"], line["model"]) == ("499", "client closed", MODEL)


def test_debug_logs_the_rendered_prompt(text_srv: Server) -> None:
    with text_srv.client() as c:
        r = c.post("/api/chat", headers={"X-Request-Id": "chat-1"},
                   json={"model": "tiny", "stream": False, "options": SHORT,
                         "messages": [{"role": "user", "content": "a distinctive question"}]})
        rendered = c.post("/api/chat", json={"model": "tiny", "_debug_render_only": True,
                                             "messages": [{"role": "user", "content": "a distinctive question"}]})
    assert r.status_code == 200, r.text
    prompt = rendered.json()["_debug_info"]["rendered_template"]
    debug = [f for f in map(text_fields, text_srv.logs().splitlines())
             if f.get("msg") == "completion request" and f.get("level") == "DEBUG"]
    assert prompt in [f["prompt"] for f in debug]


def scrape(srv: Server, headers: dict[str, str] | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with srv.client() as c:
        text = c.get("/metrics", headers=headers).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_json_lines_carry_the_request_fields_as_keys(module_server: ServerFactory, tiny_llama: Path) -> None:
    srv = module_server({"POLLAMA_LOG_FORMAT": "json", "POLLAMA_API_KEYS": "log-key"})
    with srv.client() as c:
        refused = c.get("/api/tags")  # no key: refused before routing
        r = c.post("/api/embed", headers={**KEY, "X-Request-Id": "embed-1"},
                   json={"model": "no-such-model", "input": "x"})
    assert refused.status_code == 401 and r.status_code == 404
    records = json_records(srv)  # every line, the server's start-up lines too
    assert {"time", "level", "name", "msg"} <= set(records[0])
    assert dt.datetime.fromisoformat(records[0]["time"]).tzinfo == dt.UTC
    line = logged(srv, refused.headers["x-request-id"], json_records)
    assert (line["msg"], line["level"], line["route"], line["status"]) == ("request", "INFO", "unmatched", 401)
    line = logged(srv, "embed-1", json_records)
    assert (line["route"], line["status"], line["model"], line["outcome"]) == ("/api/embed", 404,
                                                                              "no-such-model:latest", "completed")
    assert isinstance(line["duration_s"], float)


def test_metrics_off_serves_no_metrics_and_logs_no_requests(module_server: ServerFactory) -> None:
    srv = module_server({"POLLAMA_METRICS": "0"})
    with srv.client() as c:
        r = c.get("/api/version")
        assert r.status_code == 200 and "x-request-id" not in r.headers
        assert c.get("/metrics").status_code == 404
    assert text_requests(srv) == []
