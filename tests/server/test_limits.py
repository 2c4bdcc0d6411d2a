"""Oversized and pathological requests over HTTP: a 413 or 400 in the error shape, answered at once, with the
server's memory bounded and the server still answering afterwards. Blob uploads are not limited."""

from __future__ import annotations

import hashlib
import json
import os
import select
import time
from collections.abc import Iterable, Iterator
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_proc import Server, ServerFactory

from pollama.server.middleware import MAX_BODY_BYTES

MB = 1 << 20


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, tiny_llama: Path) -> Server:
    s = module_server({"OLLAMA_NUM_PARALLEL": "1"}, {"tiny": tiny_llama})
    with s.client() as http:
        assert http.post("/api/generate", json={"model": "tiny", "keep_alive": -1}).status_code == 200
    return s


@pytest.fixture()
def http(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(timeout=60) as c:
        yield c


def rss_mib(srv: Server) -> float:
    assert srv.proc is not None
    for line in Path(f"/proc/{srv.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture()
def bounded(srv: Server, http: httpx.Client) -> Iterator[None]:
    """The test leaves the server's RSS within 64 MiB of where it was, and the server answering."""
    before = rss_mib(srv)
    yield
    assert http.get("/").status_code == 200
    assert rss_mib(srv) - before < 64


def send_raw(srv: Server, path: str, headers: dict[str, str], chunks: Iterable[bytes]) -> tuple[int, Any, str, int]:
    """POST with a body sent piece by piece until the server answers or stops reading:
    (status, JSON body, Connection header, bytes sent)."""
    conn = HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.putrequest("POST", path)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    sent = 0
    for chunk in chunks:
        if select.select([conn.sock], [], [], 0)[0]:
            break  # answered already
        try:
            conn.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(chunk)
    response = conn.getresponse()
    try:
        return response.status, json.loads(response.read()), response.getheader("connection", ""), sent
    finally:
        conn.close()


def chunked(total: int, size: int = MB) -> Iterator[bytes]:
    piece = b"a" * size
    for _ in range(total // size):
        yield b"%x\r\n%s\r\n" % (size, piece)
    yield b"0\r\n\r\n"


@pytest.mark.usefixtures("bounded")
def test_content_length_over_the_limit_is_refused_unread(srv: Server) -> None:
    t0 = time.monotonic()
    status, body, connection, _ = send_raw(srv, "/api/generate", {"Content-Type": "application/json",
                                                                  "Content-Length": str(100 * MB)}, [])
    assert status == 413 and "too large" in body["error"] and connection == "close"
    assert time.monotonic() - t0 < 5


@pytest.mark.usefixtures("bounded")
@pytest.mark.parametrize("path", ["/api/chat", "/api/create", "/v1/chat/completions", "/v1/messages"])
def test_chunked_body_over_the_limit_is_cut_off(srv: Server, path: str) -> None:
    status, body, connection, sent = send_raw(srv, path, {"Transfer-Encoding": "chunked"}, chunked(100 * MB))
    assert status == 413 and connection == "close"
    error = body["error"]
    assert "too large" in (error if isinstance(error, str) else error["message"])  # OpenAI/Anthropic shape
    assert sent < 100 * MB // 2  # the server stopped reading near the limit


@pytest.mark.usefixtures("bounded")
def test_blob_uploads_are_not_limited(http: httpx.Client) -> None:
    data = os.urandom(MAX_BODY_BYTES + MB)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert http.post(f"/api/blobs/{digest}", content=data).status_code == 201
    assert http.head(f"/api/blobs/{digest}").status_code == 200


@pytest.mark.usefixtures("bounded")
@pytest.mark.parametrize("path", ["/api/generate", "/api/chat"])
def test_a_one_megabyte_prompt_is_truncated_and_answered(http: httpx.Client, path: str) -> None:
    text = "hello world " * (MB // 12)
    body: dict[str, Any] = {"model": "tiny", "stream": False, "options": {"num_predict": 4}}
    body |= {"prompt": text} if path == "/api/generate" else {"messages": [{"role": "user", "content": text}]}
    t0 = time.monotonic()
    r = http.post(path, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["done"] and r.json()["prompt_eval_count"] <= 4096
    assert time.monotonic() - t0 < 30


MANY = [{"role": "user", "content": "hi"}] * 10_000


@pytest.mark.usefixtures("bounded")
@pytest.mark.parametrize(("path", "body"), [
    ("/api/chat", {"model": "tiny", "messages": MANY, "stream": False}),
    ("/v1/chat/completions", {"model": "tiny", "messages": MANY, "max_tokens": 4}),
    ("/v1/messages", {"model": "tiny", "messages": MANY, "max_tokens": 4}),
    ("/api/create", {"model": "many", "from": "tiny", "messages": MANY, "stream": False}),
])
def test_ten_thousand_messages_are_refused(http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    t0 = time.monotonic()
    r = http.post(path, json=body)
    assert r.status_code == 400, r.text
    assert "4096" in json.dumps(r.json()["error"])  # the limit, in each API's wording
    assert time.monotonic() - t0 < 10
    assert http.post("/api/show", json={"model": "many"}).status_code == 404


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.usefixtures("bounded")
@pytest.mark.parametrize("path", ["/api/generate", "/api/chat", "/api/show", "/v1/chat/completions",
                                  "/v1/messages", "/v1/embeddings"])
@pytest.mark.parametrize("depth", [150, 100_000])
def test_deeply_nested_json_is_refused(http: httpx.Client, path: str, depth: int) -> None:
    r = http.post(path, content=f'{{"model": "tiny", "options": {nested(depth)}}}',
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert "nested deeper" in json.dumps(r.json()["error"])


def wide(n: int) -> dict[str, Any]:
    return {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(n)}}


@pytest.mark.usefixtures("bounded")
@pytest.mark.parametrize("fmt", [
    {"type": "array", "items": wide(200), "anyOf": [wide(200)] * 50},  # ~20 000 values
    wide(5_000),  # the converter's work grows with the cube of an object's property count
    {"type": "string", "maxLength": 10**9},
    {"type": "array", "items": {"type": "integer"}, "minItems": 10**9},
    {"type": "string", "pattern": "^(a{1000000}){1000000}$"},
    {"type": "integer", "minimum": 10**4000},
    json.loads('{"type": "array", "items": ' * 70 + "{}" + "}" * 70),
])
@pytest.mark.parametrize("path", ["/api/generate", "/v1/chat/completions"])
def test_a_huge_format_schema_is_refused(http: httpx.Client, path: str, fmt: dict[str, Any]) -> None:
    if path == "/api/generate":
        body = {"model": "tiny", "prompt": "x", "format": fmt, "stream": False, "options": {"num_predict": 1}}
    else:
        body = {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1,
                "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": fmt}}}
    t0 = time.monotonic()
    r = http.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert "JSON schema" in json.dumps(r.json()["error"])
    assert time.monotonic() - t0 < 5


@pytest.mark.parametrize("fmt", [
    {"type": "object", "properties": {"a": {"type": "string", "maxLength": 1000}}, "required": ["a"]},
    {"type": "array", "items": {"type": "integer"}, "maxItems": 1000},
    {"type": "string", "pattern": "^a{1000}$"},
    wide(256),
    {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
])
def test_schemas_at_the_limits_are_accepted(http: httpx.Client, fmt: dict[str, Any]) -> None:
    r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "format": fmt, "stream": False,
                                         "options": {"num_predict": 2}})
    assert r.status_code == 200, r.text
