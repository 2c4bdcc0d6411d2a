"""CORS with OLLAMA_ORIGINS, Ollama's Host check, optional API keys (POLLAMA_API_KEYS)."""

from __future__ import annotations

import ipaddress

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from pollama.config import Settings

__all__ = ["install_middleware", "DEFAULT_ORIGINS"]

# Ollama's default allow-list, plus what OLLAMA_ORIGINS adds
DEFAULT_ORIGINS = [
    "http://localhost", "https://localhost", "http://localhost:*", "https://localhost:*",
    "http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:*", "https://127.0.0.1:*",
    "http://0.0.0.0", "https://0.0.0.0", "http://0.0.0.0:*", "https://0.0.0.0:*",
    "app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*",
]


def _origin_regex(patterns: list[str]) -> str:
    import re

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
        ipaddress.ip_address(host)
        return True
    except ValueError:
        import socket

        return host == socket.gethostname().lower()


class HostCheck:
    def __init__(self, app: ASGIApp, bound_to_loopback: bool) -> None:
        self.app = app
        self.enabled = bound_to_loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.enabled and scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if not _host_allowed(host):
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": b'{"error":"forbidden"}'})
                return
        await self.app(scope, receive, send)


class APIKeyCheck:
    """When POLLAMA_API_KEYS is set, /api and /v1 need `Authorization: Bearer <key>` (or x-api-key)."""

    OPEN = ("/", "/api/version")

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]) -> None:
        self.app = app
        self.keys = {k.encode() for k in keys}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.keys and scope["type"] == "http" and scope["path"] not in self.OPEN \
                and scope.get("method") != "OPTIONS":
            headers = dict(scope["headers"])
            auth = headers.get(b"authorization", b"")
            token = auth[7:].strip() if auth[:7].lower() == b"bearer " else headers.get(b"x-api-key", b"")
            if token not in self.keys:
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"www-authenticate", b'Bearer realm="pollama"')]})
                await send({"type": "http.response.body", "body": b'{"error":"unauthorized"}'})
                return
        await self.app(scope, receive, send)


def install_middleware(app: FastAPI, cfg: Settings) -> None:
    loopback = cfg.host.host in {"127.0.0.1", "localhost", "::1"}
    app.add_middleware(APIKeyCheck, keys=cfg.api_keys)
    app.add_middleware(HostCheck, bound_to_loopback=loopback)
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=_origin_regex(DEFAULT_ORIGINS + list(cfg.origins)),
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=False,
    )
