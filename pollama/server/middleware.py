"""CORS with OLLAMA_ORIGINS, Ollama's Host check, optional API keys (POLLAMA_API_KEYS), request body limit."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import socket

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pollama.api.errors import APIError
from pollama.config import Settings

__all__ = ["install_middleware", "DEFAULT_ORIGINS", "MAX_BODY_BYTES", "BodyTooLarge"]

# The largest request body read, except blob uploads (whole models). A JSON body's parsed form takes many
# times its size in memory, so this bounds what one request can make the server hold.
MAX_BODY_BYTES = 16 * 1024 * 1024
_UNLIMITED_PREFIX = "/api/blobs/"
_CLOSE = (b"connection", b"close")  # the unread rest of a refused body is not read as a next request

# Ollama's default allow-list, plus what OLLAMA_ORIGINS adds
DEFAULT_ORIGINS = [
    "http://localhost", "https://localhost", "http://localhost:*", "https://localhost:*",
    "http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:*", "https://127.0.0.1:*",
    "http://0.0.0.0", "https://0.0.0.0", "http://0.0.0.0:*", "https://0.0.0.0:*",
    "app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*",
    # gin-contrib/cors's AllowBrowserExtensions, which Ollama turns on
    "chrome-extension://*", "safari-extension://*", "moz-extension://*", "ms-browser-extension://*",
]


def _origin_regex(patterns: list[str]) -> str:
    parts = []
    for p in patterns:
        if p == "*":
            return ".*"
        parts.append(re.escape(p).replace(r"\*", ".*"))
    return "^(" + "|".join(parts) + ")$"


def _host_allowed(host: str) -> bool:
    """Ollama rejects Host headers that are neither local nor an IP (DNS-rebinding protection)."""
    if not host:
        return True
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    host = host.lower()
    if host in {"localhost", ""} or host.endswith(".localhost") or host.endswith(".local") \
            or host.endswith(".internal"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == socket.gethostname().lower()
    return ip.is_loopback or ip.is_private or ip.is_unspecified or host in _local_addresses()


@functools.cache
def _local_addresses() -> frozenset[str]:
    """This machine's own addresses (Ollama's isLocalIP), as far as its name resolves to them."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return frozenset()
    return frozenset(str(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])) for info in infos)


async def _refuse(send: Send, status: int, error: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """Answer `{"error": error}` without calling the app."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), *headers]})
    body = json.dumps({"error": error}, separators=(",", ":")).encode()
    await send({"type": "http.response.body", "body": body})


class OriginCheck:
    """A cross-origin request from an origin off the allow-list is refused with 403, as gin's CORS
    middleware does for Ollama (CORS headers alone would still let the request run). A request whose
    Origin is the server's own host is not cross-origin."""

    def __init__(self, app: ASGIApp, allowed: str) -> None:
        self.app = app
        self.allowed = re.compile(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            if origin and origin not in (f"http://{host}", f"https://{host}") and not self.allowed.match(origin):
                await _refuse(send, 403, "forbidden")
                return
        await self.app(scope, receive, send)


class HostCheck:
    def __init__(self, app: ASGIApp, bound_to_loopback: bool) -> None:
        self.app = app
        self.enabled = bound_to_loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.enabled and scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if not _host_allowed(host):
                await _refuse(send, 403, "forbidden")
                return
        await self.app(scope, receive, send)


class APIKeyCheck:
    """When POLLAMA_API_KEYS is set, every path but `/`, /api/version and the web page's files under /ui
    (/api, /v1, /metrics) needs `Authorization: Bearer <key>` (or x-api-key)."""

    OPEN = ("/", "/api/version", "/ui")

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]) -> None:
        self.app = app
        self.keys = {k.encode() for k in keys}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.keys and scope["type"] == "http" and scope["path"] not in self.OPEN \
                and not scope["path"].startswith("/ui/") \
                and scope.get("method") != "OPTIONS":
            headers = dict(scope["headers"])
            auth = headers.get(b"authorization", b"")
            token = auth[7:].strip() if auth[:7].lower() == b"bearer " else headers.get(b"x-api-key", b"")
            if token not in self.keys:
                await _refuse(send, 401, "unauthorized", ((b"www-authenticate", b'Bearer realm="pollama"'),))
                return
        await self.app(scope, receive, send)


class BodyTooLarge(APIError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body too large: the limit is {limit} bytes")


class BodyLimit:
    """Refuse a body over `limit` bytes with 413 before reading it when Content-Length says so, and stop a
    chunked one as soon as the app has been handed more than that (BodyTooLarge reaches the app's error
    handlers, which answer in the route's shape). Either way the connection then closes, so the rest of the
    body is never read. Blob uploads are not limited."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_UNLIMITED_PREFIX):
            await self.app(scope, receive, send)
            return
        length = next((v for k, v in scope["headers"] if k == b"content-length"), b"0")
        if length.isdigit() and int(length) > self.limit:
            await _refuse(send, 413, BodyTooLarge(self.limit).message, (_CLOSE,))
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge(self.limit)
            return message

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start" and received > self.limit:
                message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        await self.app(scope, counted, closing)


def install_middleware(app: FastAPI, cfg: Settings) -> None:
    loopback = cfg.host.host in {"127.0.0.1", "localhost", "::1"}
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(APIKeyCheck, keys=cfg.api_keys)
    app.add_middleware(HostCheck, bound_to_loopback=loopback)
    allowed = _origin_regex(DEFAULT_ORIGINS + list(cfg.origins))
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=allowed,
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=False,
    )
    app.add_middleware(OriginCheck, allowed=allowed)  # outermost: before CORS answers a preflight
