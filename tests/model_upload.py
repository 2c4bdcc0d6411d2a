"""Put a GGUF file into a running server's store under a name, as `pollama create` does."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

__all__ = ["create_from_gguf"]


def create_from_gguf(http: httpx.Client, name: str, path: Path) -> None:
    data = path.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    r = http.post(f"/api/blobs/{digest}", content=data)
    assert r.status_code in (200, 201), r.text
    r = http.post("/api/create", json={"model": name, "files": {path.name: digest}, "stream": False})
    assert r.status_code == 200, r.text
