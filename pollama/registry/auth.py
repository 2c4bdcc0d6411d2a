"""Registry credentials and `WWW-Authenticate` challenges.

Credentials come from POLLAMA_REGISTRY_USERNAME / POLLAMA_REGISTRY_PASSWORD (every host) or from a JSON
file, POLLAMA_REGISTRY_AUTH_FILE or `~/.ollama/registry-auth.json`, in either shape:
`{"<host>": {"username": "...", "password": "..."}}` or Docker's `{"auths": {"<host>": {"auth": base64}}}`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pollama.registry.errors import RegistryError

__all__ = ["Credentials", "Challenge", "credentials_for", "auth_file", "parse_challenges"]

ENV_USERNAME = "POLLAMA_REGISTRY_USERNAME"
ENV_PASSWORD = "POLLAMA_REGISTRY_PASSWORD"
ENV_AUTH_FILE = "POLLAMA_REGISTRY_AUTH_FILE"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def basic(self) -> str:
        """The value of an `Authorization: Basic ...` header."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


def auth_file() -> Path:
    explicit = os.environ.get(ENV_AUTH_FILE, "").strip()
    return Path(explicit).expanduser() if explicit else Path(os.path.expanduser("~/.ollama/registry-auth.json"))


def _host_key(key: str) -> str:
    """`https://Host:5000/v1/` -> `host:5000`."""
    key = key.strip()
    if "://" in key:
        key = urlsplit(key).netloc
    return key.split("/", 1)[0].lower()


def _entry_credentials(entry: Any) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    user, password = entry.get("username"), entry.get("password")
    if isinstance(user, str) and user and isinstance(password, str):
        return Credentials(user, password)
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=False).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        if sep and user:
            return Credentials(user, password)
    return None


def credentials_for(host: str) -> Credentials | None:
    """Credentials for `host` (`name:port`), or None for anonymous access."""
    user = os.environ.get(ENV_USERNAME, "")
    if user:
        return Credentials(user, os.environ.get(ENV_PASSWORD, ""))
    path = auth_file()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise RegistryError(f"invalid registry auth file {path}: {e}", 400) from None
    if not isinstance(data, dict):
        raise RegistryError(f"invalid registry auth file {path}: not a JSON object", 400)
    entries: dict[str, Any] = {k: v for k, v in data.items() if k != "auths"}
    if isinstance(data.get("auths"), dict):
        entries.update(data["auths"])
    want = host.lower()
    for key, entry in entries.items():
        if _host_key(key) == want:
            return _entry_credentials(entry)
    return None


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "bearer", "basic", ...
    params: dict[str, str]

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


_TOKEN_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ/:")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def skip(self, chars: str = " \t") -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def token(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _TOKEN_CHARS:
            self.pos += 1
        return self.text[start:self.pos]

    def quoted(self) -> str:
        self.pos += 1  # opening quote
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "\\" and self.pos < len(self.text):
                out.append(self.text[self.pos])
                self.pos += 1
            elif ch == '"':
                break
            else:
                out.append(ch)
        return "".join(out)


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a `WWW-Authenticate` value (one or more challenges, RFC 7235)."""
    r = _Reader(header or "")
    out: list[Challenge] = []
    while True:
        r.skip(" \t,")
        scheme = r.token()
        if not scheme:
            break
        params: dict[str, str] = {}
        while True:
            r.skip(" \t,")
            mark = r.pos
            key = r.token()
            r.skip()
            if not key or r.peek() != "=":
                r.pos = mark  # no `key=`: the next challenge's scheme (or the end)
                break
            r.pos += 1
            r.skip()
            params[key.lower()] = r.quoted() if r.peek() == '"' else r.token()
        out.append(Challenge(scheme.lower(), params))
    return out
