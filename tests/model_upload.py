"""Put a GGUF file into a running server's store under a name, as `pollama create` does."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

__all__ = ["upload_blob", "create_from_gguf"]


def upload_blob(http: httpx.Client, path: Path) -> str:
    """Upload `path` as a blob and return its digest: 201 when it is new, 200 when the store has it."""
    data = path.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    stored = http.head(f"/api/blobs/{digest}").status_code
    assert stored in (200, 404), stored
    r = http.post(f"/api/blobs/{digest}", content=data)
    assert r.status_code == (200 if stored == 200 else 201), r.text
    return digest


def create_from_gguf(http: httpx.Client, name: str, path: Path, **fields: object) -> None:
    """Create model `name` from the GGUF at `path`; `fields` are more /api/create fields (template, ...)."""
    r = http.post("/api/create", json={"model": name, "files": {path.name: upload_blob(http, path)},
                                       "stream": False, **fields})
    assert r.status_code == 200, r.text
