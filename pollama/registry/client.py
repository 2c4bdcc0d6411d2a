"""HTTP to one registry host: scheme and TLS, auth challenges, redirects, registry error bodies.

The scheme is https with verified certificates; with `insecure`, certificates are not checked and a
host that does not speak TLS at all is reached over plain http (what Docker does for insecure
registries).

Auth follows the distribution spec: a 401 carries `WWW-Authenticate`; for `Bearer` a token is fetched
from the realm (any host; with Basic credentials when we have them) and cached per scope, for `Basic`
the credentials are sent. Redirects are followed by hand so that the Authorization header is only ever
sent to the registry's own origin (a blob redirected to a CDN or a bucket gets no credentials).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import httpx

from pollama.api.errors import APIError
from pollama.registry.auth import Challenge, Credentials, credentials_for, parse_challenges
from pollama.registry.errors import RegistryError

__all__ = ["RegistryClient", "Body", "error_from", "describe", "as_registry_errors", "pull_scope", "push_scope"]

Body = bytes | Callable[[], AsyncIterable[bytes] | bytes] | None
_REDIRECTS = {301, 302, 303, 307, 308}
_MAX_REDIRECTS = 10
_ERROR_BODY_LIMIT = 64 << 10
_UNSET: Any = object()


def pull_scope(repository: str) -> str:
    return f"repository:{repository}:pull"


def push_scope(repository: str) -> str:
    return f"repository:{repository}:pull,push"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host.lower(), url.port or default)


def describe(exc: BaseException) -> str:
    """A readable one-liner for a transport error (httpx's own text can be empty)."""
    text = str(exc) or type(exc).__name__
    try:
        request = exc.request if isinstance(exc, httpx.RequestError) else None
    except RuntimeError:  # no request attached
        request = None
    if request is not None:
        return f'{request.method.capitalize()} "{request.url}": {text}'
    return text


async def as_registry_errors(events: AsyncIterator[dict[str, Any]], transport: str, local: str,
                             local_errors: tuple[type[Exception], ...]) -> AsyncIterator[dict[str, Any]]:
    """Pass `events` on; whatever fails becomes a RegistryError (`transport: ...` for network errors,
    `local: ...` for `local_errors`), so the routes answer every failure in Ollama's shape."""
    try:
        async with contextlib.aclosing(events):
            async for event in events:
                yield event
    except RegistryError:
        raise
    except httpx.HTTPError as e:
        raise RegistryError(f"{transport}: {describe(e)}", 500) from None
    except APIError as e:
        raise RegistryError(e.message, e.status) from None
    except local_errors as e:
        raise RegistryError(f"{local}: {e}", 500) from None


async def error_from(resp: httpx.Response, context: str = "") -> RegistryError:
    """Turn a failed response into a RegistryError, using the registry's `{"errors": [...]}` body."""
    try:
        body = resp.content[:_ERROR_BODY_LIMIT]  # already read (a non-streaming request)
    except httpx.ResponseNotRead:
        body = b""
        try:
            async for chunk in resp.aiter_raw():
                body += chunk
                if len(body) >= _ERROR_BODY_LIMIT:
                    break
        except httpx.HTTPError:
            pass
    finally:
        await resp.aclose()
    message = ""
    try:
        data = json.loads(body)
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = str(errors[0].get("message") or errors[0].get("code") or "")
        elif isinstance(data, dict):
            message = str(data.get("error") or data.get("message") or data.get("details") or "")
    except ValueError:
        message = body.decode(errors="replace").strip()[:200]
    code = resp.status_code
    if code in (401, 403):
        status, message = 401, f"unauthorized: {message or 'access denied'}"
    elif code == 404:
        status = 404
    elif 400 <= code < 500:
        status = 400
    else:
        status = 500
    message = message or resp.reason_phrase or f"status {code}"
    prefix = f"{context}: " if context else ""
    return RegistryError(f"{prefix}{message}", status)


class RegistryClient:
    """A session with one registry host (`name:port`); use as an async context manager."""

    def __init__(self, host: str, *, insecure: bool = False, credentials: Credentials | None = _UNSET,
                 timeout: float = 60.0) -> None:
        self.host = host
        self.insecure = insecure
        self.base = httpx.URL(f"https://{host}/")
        # insecure: https without certificate checks, or plain http when the host does not speak TLS
        self._may_fall_back = insecure
        self.credentials: Credentials | None = (
            credentials_for(host) if credentials is _UNSET else credentials
        )
        self.http = httpx.AsyncClient(
            verify=not insecure,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout, connect=30.0),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._auth_for: dict[str, str] = {}  # our scope -> Authorization that worked for it
        self._basic: str | None = None  # once a Basic challenge was answered, sent everywhere
        self._tokens: dict[tuple[str, str, str, str], tuple[str, float]] = {}

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    def url(self, path: str) -> httpx.URL:
        """An absolute URL on the registry for `path` or a (possibly relative) Location header."""
        return self.base.join(path)

    def same_origin(self, url: httpx.URL) -> bool:
        return _origin(url) == _origin(self.base)

    # ---- requests --------------------------------------------------------------------------------
    async def send(self, method: str, url: httpx.URL | str, *, scope: str,
                   headers: dict[str, str] | None = None, body: Body = None,
                   params: dict[str, str] | None = None) -> httpx.Response:
        """Send with auth and redirects handled; returns a streaming response the caller must close.

        A 401 from the registry that survives one authentication attempt raises RegistryError(401).
        `body` may be a callable that makes a fresh body, so a request can be repeated.
        """
        target = self.url(str(url)) if not isinstance(url, httpx.URL) else url
        if params:
            target = target.copy_merge_params(params)
        authenticated = False
        for _ in range(_MAX_REDIRECTS + 1):
            hdrs = dict(headers or {})
            if self.same_origin(target):
                auth = self._auth_for.get(scope) or self._basic
                if auth:
                    hdrs["Authorization"] = auth
            if target.scheme == "https" and self.base.scheme == "http" and target.host == self.base.host:
                target = target.copy_with(scheme="http")  # built before we fell back to http
            content = body() if callable(body) else body
            request = self.http.build_request(method, target, headers=hdrs, content=content)
            try:
                resp = await self.http.send(request, stream=True)
            except httpx.ConnectError:
                if not (self._may_fall_back and self.same_origin(target)):
                    raise
                self._may_fall_back = False
                self.base = self.base.copy_with(scheme="http")
                continue
            if self.same_origin(target):
                self._may_fall_back = False  # the scheme works: keep it
            code = resp.status_code
            if code == 401 and self.same_origin(target) and not authenticated:
                challenge = resp.headers.get("www-authenticate", "")
                await resp.aclose()
                await self._authenticate(challenge, scope)
                authenticated = True
                continue
            if code in _REDIRECTS and "location" in resp.headers:
                location = resp.headers["location"]
                await resp.aclose()
                target = target.join(location)
                if code == 303 or (code in (301, 302) and method == "POST"):
                    method, body = "GET", None
                continue
            if code == 401 and self.same_origin(target):
                error = await error_from(resp)
                if self.credentials is not None:
                    error = RegistryError(f"{error.message} (credentials of user "
                                          f"{self.credentials.username!r} not accepted by {self.host})", 401)
                raise error
            return resp
        raise RegistryError(f"too many redirects for {method} {url}", 500)

    @asynccontextmanager
    async def open(self, method: str, url: httpx.URL | str, *, scope: str,
                   headers: dict[str, str] | None = None, body: Body = None,
                   params: dict[str, str] | None = None) -> AsyncIterator[httpx.Response]:
        resp = await self.send(method, url, scope=scope, headers=headers, body=body, params=params)
        try:
            yield resp
        finally:
            await resp.aclose()

    # ---- auth ------------------------------------------------------------------------------------
    async def _authenticate(self, header: str, scope: str) -> None:
        challenges = parse_challenges(header)
        bearer = next((c for c in challenges if c.scheme == "bearer" and c.realm), None)
        if bearer is not None:
            self._auth_for[scope] = "Bearer " + await self._token(bearer, scope)
            return
        if any(c.scheme == "basic" for c in challenges) or not challenges:
            if self.credentials is None:
                raise RegistryError(
                    f"unauthorized: {self.host} requires a username and password "
                    "(set POLLAMA_REGISTRY_USERNAME/POLLAMA_REGISTRY_PASSWORD or the registry auth file)",
                    401,
                )
            self._basic = self._auth_for[scope] = self.credentials.basic()
            return
        raise RegistryError(f"unauthorized: unsupported authentication scheme {challenges[0].scheme!r}", 401)

    async def _token(self, challenge: Challenge, scope: str) -> str:
        service = challenge.params.get("service", "")
        scopes = (challenge.params.get("scope") or scope).split()
        user = self.credentials.username if self.credentials else ""
        key = (challenge.realm, service, " ".join(scopes), user)
        cached = self._tokens.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        realm = httpx.URL(challenge.realm)
        if realm.scheme not in ("http", "https"):
            raise RegistryError(f"invalid token realm {challenge.realm!r}", 500)
        if realm.scheme == "http" and not self.insecure and self.credentials is not None:
            raise RegistryError(f"refusing to send credentials to plain-http token realm {realm}", 400)
        query: list[tuple[str, str]] = [("service", service)] if service else []
        query += [("scope", s) for s in scopes]
        headers = {"Authorization": self.credentials.basic()} if self.credentials else {}
        try:
            resp = await self.http.get(realm, params=query, headers=headers, follow_redirects=True)
        except httpx.HTTPError as e:
            raise RegistryError(f"fetching auth token: {describe(e)}", 500) from None
        if resp.status_code != 200:
            raise await error_from(resp, "fetching auth token")
        try:
            data = resp.json()
            token = data.get("token") or data.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"token realm {realm} returned no token", 500)
        try:
            lifetime = float(data.get("expires_in") or 60)
        except (TypeError, ValueError):
            lifetime = 60.0
        self._tokens[key] = (token, time.monotonic() + max(lifetime * 0.9, 1.0))
        return token
