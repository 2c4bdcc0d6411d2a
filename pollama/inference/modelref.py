"""A model reference's source suffix, read as Ollama reads it (its internal/modelref): `name:cloud` and
`name:tag-cloud` ask for the model on Ollama's cloud, `name:local` for the local one only. pollama runs no
cloud models and proxies nothing to ollama.com, so a cloud reference gets the answer Ollama gives with its
cloud disabled (403); `:local` names the local model."""

from __future__ import annotations

import json

from pollama.api.errors import APIError, BadRequest

__all__ = ["CloudUnavailable", "local_reference"]


class CloudUnavailable(APIError):
    status = 403

    def __init__(self) -> None:
        super().__init__("ollama cloud is disabled: remote model is unavailable")


def _split(raw: str) -> tuple[str, str | None]:
    """(the reference without its source suffix, "cloud" / "local" / None)."""
    head, colon, suffix = raw.rpartition(":")
    if not colon:
        return raw, None
    word = suffix.strip().lower()
    if word in ("cloud", "local"):
        return head, word
    if "/" not in suffix and word.endswith("-cloud"):
        return f"{head}:{suffix.strip()[:-len('-cloud')]}", "cloud"
    return raw, None


def local_reference(raw: str) -> str:
    """`raw` without a `:local` suffix. A cloud reference raises CloudUnavailable; both suffixes a 400."""
    base, source = _split(raw.strip())
    if source is None:
        return raw
    if _split(base)[1] is not None:
        raise BadRequest(f"use either :local or :cloud, not both: {json.dumps(raw.strip())}")
    if source == "cloud":
        raise CloudUnavailable()
    return base
