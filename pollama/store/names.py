"""Model names: `[host/][namespace/]model[:tag]`, defaulting like Ollama's.

`mistral` == `mistral:latest` == `registry.ollama.ai/library/mistral:latest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pollama.api.errors import BadRequest

__all__ = ["Name", "parse_name", "InvalidName", "DEFAULT_HOST", "DEFAULT_NAMESPACE", "DEFAULT_TAG"]

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"

_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(:[0-9]{1,5})?$")
_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")  # Ollama: first alphanumeric or `_`
_NAMESPACE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_LIMITS = {"host": 350, "namespace": 80, "model": 80, "tag": 80}


class InvalidName(BadRequest):
    def __init__(self, raw: str, why: str = "") -> None:
        super().__init__(f"invalid model name: {raw!r}" + (f" ({why})" if why else ""))


@dataclass(frozen=True)
class Name:
    host: str
    namespace: str
    model: str
    tag: str
    raw: str = field(default="", compare=False, repr=False)  # as the user wrote it, for messages

    def __str__(self) -> str:
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    @property
    def display(self) -> str:
        """Shortest form, as `ollama list` prints it."""
        base = f"{self.model}:{self.tag}"
        if self.host.lower() == DEFAULT_HOST:
            if self.namespace.lower() == DEFAULT_NAMESPACE:
                return base
            return f"{self.namespace}/{base}"
        return f"{self.host}/{self.namespace}/{base}"

    @property
    def given(self) -> str:
        """The name as the request spelled it (Ollama echoes it in errors)."""
        return self.raw or self.display

    @property
    def repository(self) -> str:
        return f"{self.namespace}/{self.model}"

    @property
    def parts(self) -> tuple[str, str, str, str]:
        return (self.host, self.namespace, self.model, self.tag)

    def key(self) -> tuple[str, ...]:
        """Case-insensitive identity (Ollama compares names with EqualFold)."""
        return tuple(p.lower() for p in self.parts)


def parse_name(raw: str) -> Name:
    """Parse and validate; raises InvalidName (400) on anything Ollama would reject."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidName(str(raw), "empty")
    text = raw.strip()
    for scheme in ("https://", "http://"):
        if text.startswith(scheme):
            text = text[len(scheme):]
    if "@" in text:  # a digest suffix names content, not a tag: not supported for local names
        text = text.split("@", 1)[0]
    tag = DEFAULT_TAG
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1:]
    pieces = text.split("/")
    if len(pieces) == 1:
        host, namespace, model = DEFAULT_HOST, DEFAULT_NAMESPACE, pieces[0]
    elif len(pieces) == 2:
        host, (namespace, model) = DEFAULT_HOST, pieces
    elif len(pieces) == 3:
        host, namespace, model = pieces
    else:
        raise InvalidName(raw, "too many parts")
    for kind, value, pattern in (
        ("host", host, _HOST),
        ("namespace", namespace, _NAMESPACE),
        ("model", model, _PART),
        ("tag", tag, _TAG),
    ):
        if not value:
            raise InvalidName(raw, f"empty {kind}")
        if len(value) > _LIMITS[kind]:
            raise InvalidName(raw, f"{kind} too long")
        if not pattern.match(value) or ".." in value:
            raise InvalidName(raw, f"bad {kind}")
    return Name(host, namespace, model, tag, raw.strip())
