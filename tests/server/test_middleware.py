"""The middleware in front of every route, over HTTP against a real server: API keys (POLLAMA_API_KEYS), the
Host check of a server bound to loopback (Ollama's DNS-rebinding guard), CORS with Ollama's default origins
plus OLLAMA_ORIGINS, and the 16 MiB request body limit at its edge."""

from __future__ import annotations

import dataclasses
import socket

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from server_proc import Server, ServerFactory

from pollama.config import parse_host, settings
from pollama.server.middleware import MAX_BODY_BYTES, install_middleware

KEYS = "key-one, key-two"
EXTRA_ORIGINS = "https://app.example.com,http://*.corp.example"
BEARER = {"Authorization": "Bearer key-one"}
UNAUTHORIZED = {"error": "unauthorized"}


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory) -> Server:
    return module_server({"POLLAMA_API_KEYS": KEYS, "OLLAMA_ORIGINS": EXTRA_ORIGINS})


def assert_unauthorized(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED and r.headers["content-type"] == "application/json"
    assert r.headers["www-authenticate"] == 'Bearer realm="pollama"'


# API keys

@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("HEAD", "/"), ("GET", "/api/version"),
                                              ("HEAD", "/api/version")])
def test_the_liveness_routes_need_no_key(http: httpx.Client, method: str, path: str) -> None:
    r = http.request(method, path)
    assert r.status_code == 200
    if method == "HEAD":
        assert r.content == b""
    elif path == "/":
        assert r.text == "Ollama is running"
    else:
        assert set(r.json()) == {"version"}


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/tags", None), ("GET", "/api/ps", None), ("POST", "/api/show", {"model": "missing"}),
    ("POST", "/api/generate", {"model": "missing"}), ("DELETE", "/api/delete", {"model": "missing"}),
    ("GET", "/v1/models", None), ("POST", "/v1/chat/completions", {"model": "missing", "messages": []}),
    ("POST", "/v1/messages", {"model": "missing", "max_tokens": 1, "messages": []}),
])
def test_api_and_v1_routes_need_a_key(http: httpx.Client, method: str, path: str, body: object) -> None:
    assert_unauthorized(http.request(method, path, json=body))


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer key-one"}, {"Authorization": "Bearer key-two"},
    {"Authorization": "bearer key-one"},  # the scheme is case-insensitive (RFC 7235)
    {"Authorization": "Bearer   key-two"}, {"x-api-key": "key-one"}, {"x-api-key": "key-two"},
])
def test_a_listed_key_is_accepted_as_bearer_token_or_x_api_key(http: httpx.Client,
                                                               headers: dict[str, str]) -> None:
    r = http.get("/api/tags", headers=headers)
    assert r.status_code == 200 and r.json() == {"models": []}
    r = http.get("/v1/models", headers=headers)
    assert r.status_code == 200 and r.json() == {"object": "list", "data": []}
    r = http.post("/api/show", json={"model": "missing"}, headers=headers)  # the route itself answers
    assert r.status_code == 404 and r.json() == {"error": "model 'missing' not found"}


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer key-one-more"},
    {"Authorization": "Bearer key"}, {"Authorization": "Bearer key-one,key-two"},
    {"Authorization": "Bearer"}, {"Authorization": "key-one"}, {"Authorization": "Basic a2V5LW9uZTo="},
    {"x-api-key": "wrong"}, {"x-api-key": ""}, {"x-api-key": "KEY-ONE"},
])
def test_a_wrong_key_is_a_401_in_json_with_www_authenticate(http: httpx.Client,
                                                             headers: dict[str, str]) -> None:
    assert_unauthorized(http.get("/api/tags", headers=headers))
    body = {"model": "x", "messages": []}
    assert_unauthorized(http.post("/v1/chat/completions", json=body, headers=headers))


def test_a_preflight_needs_no_key(http: httpx.Client) -> None:
    r = http.options("/v1/chat/completions", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-api-key"})
    assert r.is_success, r.text
    assert r.headers["access-control-allow-origin"] == "http://localhost:5173"
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-api-key"} <= allowed


# Host check (the server listens on 127.0.0.1)

def allowed_hosts(port: int) -> list[str]:
    return ["localhost", f"localhost:{port}", "LOCALHOST", f"127.0.0.1:{port}", "127.0.0.1",
            f"[::1]:{port}", "10.1.2.3", "192.168.0.7:80", "0.0.0.0", f"app.localhost:{port}",
            "printer.local", "db.internal", socket.gethostname()]


FOREIGN_HOSTS = ["evil.example", "evil.example:11434", "localhost.evil.example", "evillocalhost",
                 "127.0.0.1.nip.io", "local", "internal.example",
                 "8.8.8.8", "1.1.1.1:11434", "[2001:4860:4860::8888]:80"]  # public IPs: DNS rebinding targets


def test_a_local_host_header_is_allowed(srv: Server) -> None:
    with srv.client() as http:
        for host in allowed_hosts(srv.port):
            r = http.get("/", headers={"Host": host})
            assert r.status_code == 200 and r.text == "Ollama is running", host
            r = http.get("/api/tags", headers={"Host": host, **BEARER})
            assert r.status_code == 200, host


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_a_foreign_host_header_is_forbidden(http: httpx.Client, host: str) -> None:
    for path, headers in (("/", {}), ("/api/version", {}), ("/api/tags", BEARER), ("/v1/models", BEARER)):
        r = http.get(path, headers={"Host": host, **headers})
        assert r.status_code == 403 and r.json() == {"error": "forbidden"}, (host, path)
    r = http.post("/api/show", json={"model": "missing"}, headers={"Host": host, **BEARER})
    assert r.status_code == 403 and r.json() == {"error": "forbidden"}


def test_the_host_check_comes_before_the_key_check(http: httpx.Client) -> None:
    r = http.get("/api/tags", headers={"Host": "evil.example"})
    assert r.status_code == 403 and r.json() == {"error": "forbidden"}
    assert_unauthorized(http.get("/api/tags", headers={"Host": "localhost"}))


def guarded_app(bind: str) -> TestClient:
    """The middleware alone, over a route answering "ok", as installed for a server bound to `bind`."""
    app = FastAPI()

    @app.get("/ok")
    async def ok() -> dict[str, str]:
        return {"ok": "yes"}

    cfg = dataclasses.replace(settings(), host=parse_host(bind), api_keys=(), origins=())
    install_middleware(app, cfg)
    return TestClient(app, base_url="http://evil.example")


@pytest.mark.parametrize(("bind", "status"), [("127.0.0.1:11434", 403), ("localhost:11434", 403),
                                              ("[::1]:11434", 403), ("0.0.0.0:11434", 200),
                                              ("10.1.2.3:11434", 200)])
def test_the_host_check_guards_a_loopback_server_only(bind: str, status: int) -> None:
    with guarded_app(bind) as client:
        r = client.get("/ok")
    assert r.status_code == status
    assert r.json() == ({"ok": "yes"} if status == 200 else {"error": "forbidden"})


# CORS

ALLOWED_ORIGINS = [
    "http://localhost", "https://localhost", "http://localhost:5173", "https://localhost:8443",
    "http://127.0.0.1", "https://127.0.0.1:3000", "http://0.0.0.0", "http://0.0.0.0:8080",
    "app://obsidian.md", "file://", "tauri://localhost", "vscode-webview://1a2b3c",
    "vscode-file://vscode-app", "chrome-extension://abcdefghijklmnop", "moz-extension://1234-5678",
    "https://app.example.com", "http://team.corp.example", "http://a.b.corp.example",  # OLLAMA_ORIGINS
]
FOREIGN_ORIGINS = [
    "https://evil.example", "http://localhost.evil.example", "http://127.0.0.1.nip.io", "null",
    "https://app.example.com.evil.example", "http://app.example.com",  # not the listed scheme
    "https://team.corp.example", "http://corp.example.evil",
]


@pytest.mark.parametrize("origin", ALLOWED_ORIGINS)
def test_an_allowed_origin_is_echoed(http: httpx.Client, origin: str) -> None:
    r = http.get("/api/version", headers={"Origin": origin})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == origin and "origin" in r.headers["vary"].lower()
    r = http.get("/api/tags", headers={"Origin": origin, **BEARER})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_a_foreign_origin_is_refused(http: httpx.Client, origin: str) -> None:
    # as gin's CORS middleware refuses it for Ollama: without CORS headers alone, a page's simple
    # request would still run (and could, say, delete a model)
    r = http.get("/api/version", headers={"Origin": origin})
    assert r.status_code == 403 and r.json() == {"error": "forbidden"}
    assert "access-control-allow-origin" not in r.headers
    r = http.request("DELETE", "/api/delete", json={"model": "x"}, headers={"Origin": origin, **BEARER})
    assert r.status_code == 403
    r = http.options("/api/chat", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


def test_a_same_origin_request_is_not_cross_origin(http: httpx.Client) -> None:
    # a page served by the server itself, under a name off the origin list (a browser sends Origin on POST)
    for host in ("printer.local:8080", "10.1.2.3:11434"):
        r = http.get("/api/version", headers={"Origin": f"http://{host}", "Host": host})
        assert r.status_code == 200, host
        r = http.get("/api/version", headers={"Origin": f"http://{host}", "Host": "localhost"})
        assert r.status_code == 403, host


def test_an_error_carries_cors_headers_so_a_page_can_read_it(http: httpx.Client) -> None:
    r = http.get("/api/tags", headers={"Origin": "http://localhost:5173"})
    assert_unauthorized(r)
    assert r.headers["access-control-allow-origin"] == "http://localhost:5173"
    origin = {"Origin": "http://localhost:5173"}
    r = http.post("/api/show", json={"model": "missing"}, headers={**origin, **BEARER})
    assert r.status_code == 404 and r.headers["access-control-allow-origin"] == "http://localhost:5173"


@pytest.mark.parametrize("path", ["/api/chat", "/api/generate", "/api/embed", "/v1/chat/completions",
                                  "/v1/messages"])
def test_a_preflight_is_answered_with_the_allowed_method_and_headers(http: httpx.Client, path: str) -> None:
    asked = ["authorization", "content-type", "x-stainless-os", "anthropic-version"]
    r = http.options(path, headers={"Origin": "app://obsidian.md", "Access-Control-Request-Method": "POST",
                                    "Access-Control-Request-Headers": ", ".join(asked)})
    assert r.is_success, r.text
    assert r.headers["access-control-allow-origin"] == "app://obsidian.md"
    assert "POST" in {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert set(asked) <= {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert "access-control-allow-credentials" not in r.headers


def test_a_star_in_ollama_origins_allows_every_origin(server_factory: ServerFactory) -> None:
    s = server_factory({"OLLAMA_ORIGINS": "*"})
    with s.client() as http:
        for origin in ("https://evil.example", "chrome-extension://abcdef", "http://localhost:5173"):
            r = http.get("/api/version", headers={"Origin": origin})
            assert r.status_code == 200 and r.headers["access-control-allow-origin"] in (origin, "*"), origin


# the request body limit at its edge (tests/server/test_limits.py has the rest)

def json_body(size: int) -> bytes:
    """A valid /api/show body of exactly `size` bytes (JSON allows trailing whitespace)."""
    body = b'{"model":"missing"}'
    return body + b" " * (size - len(body))


def test_a_body_of_exactly_the_limit_is_read(http: httpx.Client) -> None:
    r = http.post("/api/show", content=json_body(MAX_BODY_BYTES),
                  headers={"Content-Type": "application/json", **BEARER})
    assert r.status_code == 404 and r.json() == {"error": "model 'missing' not found"}


def test_a_body_one_byte_over_the_limit_is_refused(http: httpx.Client) -> None:
    r = http.post("/api/show", content=json_body(MAX_BODY_BYTES + 1),
                  headers={"Content-Type": "application/json", **BEARER})
    assert r.status_code == 413 and r.headers["connection"] == "close"
    assert r.json() == {"error": f"request body too large: the limit is {MAX_BODY_BYTES} bytes"}


def test_a_request_without_a_key_is_refused_before_its_body_is_limited(http: httpx.Client) -> None:
    r = http.post("/api/show", content=json_body(MAX_BODY_BYTES + 1),
                  headers={"Content-Type": "application/json"})
    assert_unauthorized(r)
