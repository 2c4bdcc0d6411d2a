"""Raw HTTP against the compat server: SSE framing the SDKs hide, and bad inputs that must change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_proc import Server

ASK = [{"role": "user", "content": "Hello"}]


def sse_events(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) per SSE event; every event must end with a blank line."""
    assert text.endswith("\n\n")
    out = []
    for block in text[:-2].split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            assert field in {"event", "data"}, line
            if field == "event":
                name = value
            else:
                data.append(value)
        out.append((name, "\n".join(data)))
    return out


@pytest.fixture()
def http(compat_server: Server) -> Iterator[httpx.Client]:
    with compat_server.client() as c:
        yield c


def test_chat_stream_is_data_lines_ending_in_done(http: httpx.Client) -> None:
    r = http.post("/v1/chat/completions", json={"model": "tiny", "messages": ASK, "stream": True, "max_tokens": 4,
                                                "temperature": 0, "stream_options": {"include_usage": True}})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert all(name is None for name, _ in events) and events[-1][1] == "[DONE]"
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None] * (len(chunks) - 2) + ["length"]
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4
    plain = http.post("/v1/chat/completions", json={"model": "tiny", "messages": ASK, "stream": True,
                                                    "max_tokens": 2})
    assert all("usage" not in json.loads(d) for _, d in sse_events(plain.text)[:-1])


def test_completion_stream_ends_in_done(http: httpx.Client) -> None:
    r = http.post("/v1/completions", json={"model": "tiny", "prompt": "Once", "stream": True, "max_tokens": 3})
    events = sse_events(r.text)
    assert events[-1][1] == "[DONE]"
    chunks = [json.loads(d) for _, d in events[:-1]]
    assert all(c["object"] == "text_completion" for c in chunks) and chunks[-1]["choices"][0]["finish_reason"]


def test_anthropic_stream_event_names_match_payloads(http: httpx.Client) -> None:
    r = http.post("/v1/messages", json={"model": "tiny-think", "max_tokens": 6, "stream": True, "temperature": 0,
                                        "thinking": {"type": "enabled", "budget_tokens": 1024}, "messages": ASK})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    payloads = [json.loads(data) for _, data in events]
    assert [name for name, _ in events] == [p["type"] for p in payloads]
    names = [p["type"] for p in payloads]
    assert names[:3] == ["message_start", "ping", "content_block_start"] and names[-2:] == ["message_delta",
                                                                                           "message_stop"]
    assert payloads[2]["content_block"]["type"] == "thinking"
    # every block opens, takes deltas at its own index, and closes before the next one opens
    open_index = None
    for p in payloads[2:-2]:
        if p["type"] == "content_block_start":
            assert open_index is None
            open_index = p["index"]
        elif p["type"] == "content_block_delta":
            assert p["index"] == open_index
        else:
            assert p["type"] == "content_block_stop" and p["index"] == open_index
            open_index = None
    assert open_index is None
    assert payloads[-2]["delta"]["stop_reason"] == "max_tokens" and payloads[-2]["usage"]["output_tokens"] == 6


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


BAD_OPENAI = [
    ("/v1/chat/completions", {"model": "tiny", "messages": [{"role": "user", "content": [{"type": "text"}]}]}, 400),
    ("/v1/chat/completions", {"model": "tiny", "messages": ASK, "tools": [1]}, 400),
    ("/v1/chat/completions", {"model": "tiny", "messages": ASK, "logprobs": True, "top_logprobs": 50}, 400),
    ("/v1/chat/completions", {"model": "tiny", "messages": ASK, "seed": 2 ** 80}, 400),
    ("/v1/chat/completions", {"model": "tiny", "messages": ASK, "tool_choice": "required"}, 400),
    ("/v1/chat/completions", {"model": "tiny", "messages": ASK, "reasoning_effort": "high"}, 400),
    ("/v1/chat/completions", {"model": "tinybert", "messages": ASK}, 400),
    ("/v1/chat/completions", {"model": "BAD NAME!", "messages": ASK}, 400),
    ("/v1/chat/completions", {"model": "tiny", "messages": ASK, "response_format": {
        "type": "json_schema", "json_schema": {"schema": {"type": "bogus"}}}}, 400),
    ("/v1/completions", {"model": "tiny", "prompt": "x", "suffix": "y"}, 400),
    ("/v1/completions", {"model": "tiny", "prompt": "x", "n": 2}, 400),
    ("/v1/completions", {"model": "absent", "prompt": "x"}, 404),
    ("/v1/embeddings", {"model": "tinybert", "input": [[10 ** 9]]}, 400),
    ("/v1/embeddings", {"model": "tinybert", "input": "x", "dimensions": 0}, 400),
    ("/v1/embeddings", {"model": "absent", "input": "x"}, 404),
]
BAD_ANTHROPIC = [
    ("/v1/messages", {"model": "tiny", "max_tokens": 3, "messages": []}, 400),
    ("/v1/messages", {"model": "tiny", "max_tokens": 3, "messages": [{"role": "user", "content": [{"type": "?"}]}]},
     400),
    ("/v1/messages", {"model": "tiny", "max_tokens": 3, "messages": ASK, "tool_choice": {"type": "any"}}, 400),
    ("/v1/messages", {"model": "tinybert", "max_tokens": 3, "messages": ASK}, 400),
    ("/v1/messages", {"model": "absent", "max_tokens": 3, "messages": ASK, "stream": True}, 404),
    ("/v1/messages/count_tokens", {"model": "tiny", "messages": ASK, "tools": 5}, 400),
]


def test_bad_inputs_answer_in_shape_and_change_nothing_on_disk(http: httpx.Client, compat_server: Server) -> None:
    http.post("/api/generate", json={"model": "tiny", "prompt": "", "keep_alive": "10m"})  # loaded: no lazy writes
    before = snapshot(compat_server.models)
    for path, body, status in BAD_OPENAI:
        r = http.post(path, json=body)
        assert r.status_code == status, (path, body, r.text)
        err = r.json()["error"]
        assert set(err) == {"message", "type", "param", "code"} and err["message"], (path, body, err)
        assert err["type"] == ("invalid_request_error" if status == 400 else "not_found_error")
    for path, body, status in BAD_ANTHROPIC:
        r = http.post(path, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["type"] == "error" and r.json()["error"]["message"], (path, body, r.text)
        assert r.json()["error"]["type"] == ("invalid_request_error" if status == 400 else "not_found_error")
    assert snapshot(compat_server.models) == before
