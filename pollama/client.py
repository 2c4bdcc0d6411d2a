"""The HTTP client the CLI uses (talks to the server at OLLAMA_HOST)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from pollama.config import parse_host

__all__ = ["Client", "ClientError", "ConnectError"]


class ClientError(Exception):
    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ConnectError(ClientError):
    pass


def _error_of(resp: httpx.Response) -> ClientError:
    try:
        body = json.loads(resp.read() or b"{}")
        msg = body.get("error") if isinstance(body, dict) else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        msg = None
    if isinstance(msg, dict):
        msg = msg.get("message")
    return ClientError(str(msg or resp.text or f"HTTP {resp.status_code}"), resp.status_code)


class Client:
    def __init__(self, host: str | None = None, timeout: float | None = None) -> None:
        self.base = parse_host(host if host is not None else os.environ.get("OLLAMA_HOST")).url
        if self.base.startswith("http://0.0.0.0"):
            self.base = self.base.replace("0.0.0.0", "127.0.0.1", 1)
        headers = {"User-Agent": "pollama-cli"}
        key = os.environ.get("POLLAMA_API_KEY")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.http = httpx.Client(base_url=self.base, timeout=httpx.Timeout(timeout, connect=5.0), headers=headers)

    def _unreachable(self) -> ConnectError:
        return ConnectError(f"could not connect to pollama server at {self.base}, run 'pollama serve' to start it")

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            resp = self.http.request(method, path, **kw)
        except httpx.ConnectError:
            raise self._unreachable() from None
        if resp.status_code >= 400:
            raise _error_of(resp)
        return resp

    def json(self, method: str, path: str, body: Any = None) -> Any:
        resp = self._send(method, path, json=body)
        return resp.json() if resp.content else None

    def stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """POST and yield each NDJSON object; an `{"error"}` line raises ClientError."""
        try:
            with self.http.stream("POST", path, json=body) as resp:
                if resp.status_code >= 400:
                    raise _error_of(resp)
                for line in resp.iter_lines():
                    if not line.strip():
                        continue
                    obj = json.loads(line)
                    if isinstance(obj, dict) and obj.get("error"):
                        raise ClientError(str(obj["error"]), 500)
                    yield obj
        except httpx.ConnectError:
            raise self._unreachable() from None

    def upload_blob(self, path: Path) -> str:
        """Upload a file as a blob unless the server has it; returns its digest."""
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = f"sha256:{h.hexdigest()}"
        try:
            self._send("HEAD", f"/api/blobs/{digest}")
            return digest
        except ClientError as e:
            if e.status != 404 or isinstance(e, ConnectError):
                raise

        def body() -> Iterator[bytes]:
            with open(path, "rb") as f:
                yield from iter(lambda: f.read(1 << 20), b"")

        self._send("POST", f"/api/blobs/{digest}", content=body())
        return digest
