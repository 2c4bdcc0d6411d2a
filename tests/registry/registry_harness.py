"""Test doubles around a REAL registry: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1,
plus a programmable front (ASGI app under uvicorn, in a thread) that can demand bearer tokens from a
realm on another port, redirect blob GETs to a "CDN" origin, drop a connection after N body bytes,
tamper with blob bytes, slow blobs down, and count everything."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import uvicorn
from server_proc import stop_process

from pollama.store.layout import CONFIG_MEDIA_TYPE, MEDIA, Layer, Manifest, Store
from pollama.store.names import Name, parse_name

__all__ = [
    "free_port", "Registry", "Front", "Dropped", "make_model", "collect", "htpasswd_line", "self_signed_cert",
    "sha256", "blob_files",
]

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP SAN), valid for a day: (cert.pem, key.pem)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pollama test registry")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def htpasswd_line(user: str, password: str) -> str:
    import bcrypt

    return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}"


class Registry:
    """`docker-registry serve` with filesystem storage in `root`; optional htpasswd Basic auth."""

    def __init__(self, root: Path, htpasswd: str | None = None, tls: tuple[Path, Path] | None = None) -> None:
        self.root = Path(root)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"{'https' if tls else 'http'}://{self.host}"
        self.root.mkdir(parents=True, exist_ok=True)
        auth = tls_config = ""
        if tls is not None:
            tls_config = f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n"
        if htpasswd is not None:
            (self.root / "htpasswd").write_text(htpasswd + "\n")
            auth = f"auth:\n  htpasswd:\n    realm: pollama-test\n    path: {self.root / 'htpasswd'}\n"
        (self.root / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.root / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.host}\n{tls_config}{auth}"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> Registry:
        exe = shutil.which("docker-registry")
        assert exe, "docker-registry is not installed (apt-get install docker-registry)"
        self.log = open(self.root / "registry.log", "ab")
        self.proc = subprocess.Popen([exe, "serve", str(self.root / "config.yml")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.root / "registry.log").read_text()[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/v2/", timeout=1, verify=False).status_code in (200, 401):
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("docker-registry did not start in time")

    def stop(self) -> None:
        stop_process(self.proc)
        if getattr(self, "log", None):
            self.log.close()


class _Uvicorn:
    """An ASGI app served on 127.0.0.1:<free port> from a background thread."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level=os.environ.get("FRONT_LOG", "critical"),
                                lifespan="off", access_log=False, interface="asgi3")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


async def _body(receive: Receive) -> bytes:
    out = b""
    while True:
        msg = await receive()
        out += msg.get("body", b"")
        if not msg.get("more_body"):
            return out


async def _respond(send: Send, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    hdrs = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    hdrs.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})


class Dropped(Exception):
    """Raised inside the front to cut a connection in the middle of a body."""


_REPO = re.compile(r"^/v2/(.+?)/(blobs|manifests|tags)/")
_BLOB_GET = re.compile(r"^/v2/(.+?)/blobs/(sha256:[0-9a-f]{64})$")
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}


@dataclass
class Front:
    """A programmable proxy in front of `registry` (see the module docstring)."""

    registry: Registry
    token_users: dict[str, str] | None = None  # bearer auth: these users get pull+push; anonymous: pull
    anonymous_pull: bool = True
    token_field: str = "token"  # or "access_token"
    redirect_blobs: bool = False
    drop_after: int | None = None  # blob body bytes to let through before cutting every connection
    tamper: bool = False
    delay: float = 0.0  # seconds to sleep per forwarded blob chunk
    ignore_ranges: bool = False  # answer ranged blob GETs with the whole blob (200), as some servers do
    log: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path?query, status)
    blob_bytes: Counter[str] = field(default_factory=Counter)  # digest -> blob body bytes sent
    cdn_auth: list[str | None] = field(default_factory=list)  # Authorization seen by the CDN
    registry_auth: list[str] = field(default_factory=list)  # Authorization the front received
    token_requests: list[tuple[str | None, tuple[str, ...]]] = field(default_factory=list)
    accept: list[str] = field(default_factory=list)  # Accept headers of manifest GETs
    patch_ranges: list[str] = field(default_factory=list)  # Content-Range of upload PATCHes
    peak_streams: int = 0  # most blob bodies streamed at once (front and CDN together)

    def __post_init__(self) -> None:
        self._front = _Uvicorn(self._app)
        self._cdn = _Uvicorn(self._cdn_app)
        self._realm = _Uvicorn(self._realm_app)
        self.host = f"127.0.0.1:{self._front.port}"
        self.realm = f"http://127.0.0.1:{self._realm.port}/token"
        self._tokens: dict[str, set[tuple[str, str]]] = {}
        self._sent = 0
        self._generation = 0
        self._active = 0  # requests being handled by the front or the CDN
        self._streams = 0

    def start(self) -> Front:
        for s in (self._front, self._cdn, self._realm):
            s.start()
        return self

    def stop(self) -> None:
        for s in (self._front, self._cdn, self._realm):
            s.stop()

    def reset(self) -> None:
        """Forget counters, once responses left over from an abandoned client have wound down."""
        deadline, quiet = time.monotonic() + 5, 0
        while quiet < 3 and time.monotonic() < deadline:
            quiet = quiet + 1 if self._active == 0 else 0
            time.sleep(0.03)
        self.log.clear()
        self.blob_bytes.clear()
        self.cdn_auth.clear()
        self.registry_auth.clear()
        self.token_requests.clear()
        self.accept.clear()
        self.patch_ranges.clear()
        self.peak_streams = 0
        self._sent = 0
        self._generation += 1  # responses still streaming from before stop (their client is gone)

    # ---- token realm -----------------------------------------------------------------------------
    async def _realm_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await _body(receive)
        query = parse_qs(scope.get("query_string", b"").decode())
        scopes = tuple(query.get("scope", []))
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        user = None
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if (self.token_users or {}).get(name) != password:
                self.token_requests.append((name, scopes))
                await _respond(send, 401, json.dumps({"errors": [
                    {"code": "UNAUTHORIZED", "message": "invalid username or password"}]}).encode(),
                    {"content-type": "application/json"})
                return
            user = name
        self.token_requests.append((user, scopes))
        granted: set[tuple[str, str]] = set()
        for s in scopes:
            kind, _, rest = s.partition(":")
            repo, _, actions = rest.rpartition(":")
            if kind != "repository":
                continue
            for action in actions.split(","):
                if user is not None or (action == "pull" and self.anonymous_pull):
                    granted.add((repo, action))
        token = secrets.token_hex(16)
        self._tokens[token] = granted
        body = {self.token_field: token, "expires_in": 300}
        await _respond(send, 200, json.dumps(body).encode(), {"content-type": "application/json"})

    def _needs(self, method: str, path: str, query: dict[str, list[str]]) -> list[tuple[str, str]]:
        m = _REPO.match(path)
        if m is None:
            return []
        repo = m.group(1)
        needs = [(repo, "pull")] if method in ("GET", "HEAD") else [(repo, "pull"), (repo, "push")]
        if "from" in query:
            needs.append((query["from"][0], "pull"))
        return needs

    def _challenge(self, needs: list[tuple[str, str]]) -> str:
        by_repo: dict[str, list[str]] = {}
        for repo, action in needs:
            by_repo.setdefault(repo, []).append(action)
        scope = " ".join(f"repository:{r}:{','.join(a)}" for r, a in by_repo.items())
        params = f'realm="{self.realm}",service="pollama-test"'
        return f'Bearer {params},scope="{scope}"' if scope else f"Bearer {params}"

    # ---- CDN -------------------------------------------------------------------------------------
    async def _cdn_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await _body(receive)
        headers = dict(scope["headers"])
        self.cdn_auth.append(headers.get(b"authorization", b"").decode() or None)
        path = scope["path"]  # /cdn/<repo>/blobs/<digest>
        upstream = self.registry.url + "/v2/" + path.removeprefix("/cdn/")
        fwd = {"range": headers[b"range"].decode()} if b"range" in headers else {}
        self._active += 1
        try:
            await self._stream_blob(send, "GET", upstream, fwd, _BLOB_GET.match("/v2/" + path[5:]))
        finally:
            self._active -= 1

    # ---- the front -------------------------------------------------------------------------------
    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        qs = scope.get("query_string", b"").decode()
        query = parse_qs(qs)
        self._active += 1
        try:
            body = await _body(receive)
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            status = await self._handle(send, method, path, qs, query, headers, body)
            self.log.append((method, path + (f"?{qs}" if qs else ""), status))
        finally:
            self._active -= 1

    async def _handle(self, send: Send, method: str, path: str, qs: str, query: dict[str, list[str]],
                      headers: dict[str, str], body: bytes) -> int:
        if "authorization" in headers:
            self.registry_auth.append(headers["authorization"])
        if method == "GET" and "/manifests/" in path:
            self.accept.append(headers.get("accept", ""))
        if method == "PATCH":
            self.patch_ranges.append(headers.get("content-range", ""))
        if self.token_users is not None and path.startswith("/v2/"):
            needs = self._needs(method, path, query)
            token = headers.get("authorization", "").removeprefix("Bearer ")
            granted = self._tokens.get(token)
            if granted is None or not set(needs) <= granted:
                err = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}
                await _respond(send, 401, json.dumps(err).encode(),
                               {"www-authenticate": self._challenge(needs), "content-type": "application/json"})
                return 401
        blob = _BLOB_GET.match(path)
        if blob and method == "GET" and self.redirect_blobs:
            target = f"http://localhost:{self._cdn.port}/cdn/{blob.group(1)}/blobs/{blob.group(2)}"
            await _respond(send, 307, b"", {"location": target})
            return 307
        fwd = {k: v for k, v in headers.items() if k not in _HOP and k != "authorization"}
        fwd["host"] = self.host  # so the registry's Location headers point back at us
        url = self.registry.url + path + (f"?{qs}" if qs else "")
        if blob and method == "GET":
            return await self._stream_blob(send, method, url, fwd, blob)
        async with httpx.AsyncClient() as client:
            resp = await client.request(method, url, headers=fwd, content=body)
        out = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP}
        payload = b"" if method == "HEAD" else resp.content
        hdrs = [(k.lower().encode(), v.encode()) for k, v in out.items()]
        length = resp.headers.get("content-length", str(len(payload)))
        hdrs.append((b"content-length", length.encode()))
        await send({"type": "http.response.start", "status": resp.status_code, "headers": hdrs})
        await send({"type": "http.response.body", "body": payload})
        return resp.status_code

    async def _stream_blob(self, send: Send, method: str, url: str, fwd: dict[str, str],
                           blob: re.Match[str] | None) -> int:
        digest = blob.group(2) if blob else ""
        generation = self._generation
        if self.ignore_ranges:
            fwd = {k: v for k, v in fwd.items() if k.lower() != "range"}
        async with httpx.AsyncClient() as client, client.stream(method, url, headers=fwd) as resp:
            hdrs = [(k.lower().encode(), v.encode()) for k, v in resp.headers.items()
                    if k.lower() not in _HOP or k.lower() == "content-length"]
            await send({"type": "http.response.start", "status": resp.status_code, "headers": hdrs})
            self._streams += 1  # counted until the body's last byte is sent: the client cannot have
            self.peak_streams = max(self.peak_streams, self._streams)  # its next request out before
            try:
                await self._relay(send, resp, digest, generation)
            finally:
                self._streams -= 1
            await send({"type": "http.response.body", "body": b""})
            return resp.status_code

    async def _relay(self, send: Send, resp: httpx.Response, digest: str, generation: int) -> None:
        first = True
        async for chunk in resp.aiter_raw(1 << 16):
            if generation != self._generation:
                raise Dropped("stale response from before reset()")
            if resp.status_code < 300 and self.drop_after is not None:
                room = self.drop_after - self._sent
                if room <= 0:
                    raise Dropped("connection cut by the test front")
                if len(chunk) > room:
                    await send({"type": "http.response.body", "body": chunk[:room], "more_body": True})
                    self._sent += room
                    self.blob_bytes[digest] += room
                    raise Dropped("connection cut by the test front")
            if self.tamper and first and chunk and resp.status_code < 300:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            first = False
            if self.delay:
                await asyncio.sleep(self.delay)
            if generation != self._generation:
                raise Dropped("stale response from before reset()")
            self._sent += len(chunk)
            if resp.status_code < 300:
                self.blob_bytes[digest] += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


def make_model(store: Store, name: str, blobs: dict[str, bytes], family: str = "llama",
               **config_fields: Any) -> tuple[Name, Manifest]:
    """Write a model made of `blobs` ({kind: bytes}, kinds as in MEDIA) plus an Ollama-style config, with
    `config_fields` (renderer, parser, ...) in it."""
    layers = []
    for kind, data in blobs.items():
        digest, size = store.write_blob_bytes(data)
        layers.append(Layer(MEDIA[kind], digest, size))
    config = {
        "model_format": "gguf", "model_family": family, "model_families": [family],
        "model_type": "1M", "file_type": "Q4_0",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]}, **config_fields,
    }
    digest, size = store.write_blob_bytes(json.dumps(config).encode())
    manifest = Manifest(config=Layer(CONFIG_MEDIA_TYPE, digest, size), layers=layers)
    parsed = parse_name(name)
    store.write_manifest(parsed, manifest)
    return parsed, manifest


async def collect(events: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e async for e in events]


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def blob_files(store: Store) -> list[str]:
    return sorted(p.name for p in store.blobs.iterdir()) if store.blobs.is_dir() else []

