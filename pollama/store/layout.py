"""Ollama's on-disk store: manifests/<host>/<ns>/<model>/<tag> and blobs/sha256-<hex>.

Every write is atomic (temp file in the same folder, fsync, rename) and every blob is checked against
its digest before it becomes visible.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pollama.api.errors import BadRequest, ModelNotFound
from pollama.store.names import Name

__all__ = [
    "Store", "Manifest", "Layer", "DigestMismatch", "MANIFEST_MEDIA_TYPE", "CONFIG_MEDIA_TYPE",
    "MEDIA", "check_digest", "atomic_write",
]

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
MEDIA = {
    kind: f"application/vnd.ollama.image.{kind}"
    for kind in ("model", "adapter", "projector", "template", "system", "params", "messages", "license")
}
_DIGEST = re.compile(r"^sha256[:-]([0-9a-f]{64})$")


class DigestMismatch(BadRequest):
    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"digest mismatch, expected \"{expected}\", got \"{actual}\"")


def check_digest(digest: str) -> str:
    """Normalize `sha256:<hex>` / `sha256-<hex>` to `sha256:<hex>`; 400 on anything else."""
    m = _DIGEST.match(digest or "")
    if not m:
        raise BadRequest(f"invalid digest format: {digest!r}")
    return f"sha256:{m.group(1)}"


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@dataclass
class Layer:
    media_type: str
    digest: str
    size: int
    from_: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.from_:
            out["from"] = self.from_
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Layer:
        return cls(d["mediaType"], d["digest"], int(d.get("size", 0)), d.get("from"))


@dataclass
class Manifest:
    config: Layer
    layers: list[Layer] = field(default_factory=list)
    schema_version: int = 2
    media_type: str = MANIFEST_MEDIA_TYPE

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "schemaVersion": self.schema_version,
                "mediaType": self.media_type,
                "config": self.config.to_json(),
                "layers": [layer.to_json() for layer in self.layers],
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        d = json.loads(raw)
        return cls(
            config=Layer.from_json(d["config"]),
            layers=[Layer.from_json(x) for x in d.get("layers") or []],
            schema_version=int(d.get("schemaVersion", 2)),
            media_type=d.get("mediaType", MANIFEST_MEDIA_TYPE),
        )

    def digests(self) -> set[str]:
        return {self.config.digest, *(layer.digest for layer in self.layers)}

    @property
    def size(self) -> int:
        return self.config.size + sum(layer.size for layer in self.layers)

    def layers_of(self, kind: str) -> list[Layer]:
        media = MEDIA[kind]
        return [layer for layer in self.layers if layer.media_type == media]


class Store:
    """One OLLAMA_MODELS folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.manifests = self.root / "manifests"

    # ---- blobs -----------------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blobs / check_digest(digest).replace(":", "-")

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def write_blob(self, chunks: Iterable[bytes], expected: str | None = None) -> tuple[str, int]:
        """Stream bytes into the store; verified against `expected` before it becomes visible."""
        if expected is not None:
            expected = check_digest(expected)
        self.blobs.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.blobs, prefix=".incoming-", suffix=".tmp")
        h, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    h.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            digest = f"sha256:{h.hexdigest()}"
            if expected is not None and digest != expected:
                raise DigestMismatch(expected, digest)
            os.replace(tmp, self.blob_path(digest))
            return digest, size
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def write_blob_bytes(self, data: bytes) -> tuple[str, int]:
        return self.write_blob([data])

    def import_file(self, path: Path, expected: str | None = None) -> tuple[str, int]:
        with open(path, "rb") as f:
            return self.write_blob(iter(lambda: f.read(1 << 20), b""), expected)

    def open_blob(self, digest: str) -> BinaryIO:
        return open(self.blob_path(digest), "rb")

    def read_json_blob(self, digest: str) -> Any:
        return json.loads(self.blob_path(digest).read_bytes())

    # ---- manifests -------------------------------------------------------------------------------
    def manifest_path(self, name: Name) -> Path:
        exact = self.manifests.joinpath(*name.parts)
        if exact.is_file():
            return exact
        found = self._find_casefold(name)
        return found or exact

    def _find_casefold(self, name: Name) -> Path | None:
        here = self.manifests
        for part in name.parts:
            if not here.is_dir():
                return None
            match = next((p for p in here.iterdir() if p.name.lower() == part.lower()), None)
            if match is None:
                return None
            here = match
        return here if here.is_file() else None

    def read_manifest(self, name: Name) -> Manifest:
        path = self.manifest_path(name)
        try:
            return Manifest.from_bytes(path.read_bytes())
        except FileNotFoundError:
            raise ModelNotFound(name.given) from None

    def manifest_digest(self, name: Name) -> str:
        return "sha256:" + hashlib.sha256(self.manifest_path(name).read_bytes()).hexdigest()

    def exists(self, name: Name) -> bool:
        return self.manifest_path(name).is_file()

    def write_manifest(self, name: Name, manifest: Manifest, raw: bytes | None = None) -> None:
        """Write `manifest` (or its exact original bytes `raw`, e.g. as pulled) under `name`."""
        missing = [d for d in manifest.digests() if not self.has_blob(d)]
        if missing:
            raise BadRequest(f"manifest references missing blob {missing[0]}")
        old = self._find_casefold(name)
        target = self.manifests.joinpath(*name.parts)
        atomic_write(target, manifest.to_bytes() if raw is None else raw)
        if old is not None and old != target:  # same name, other letter case: keep one
            old.unlink(missing_ok=True)

    def iter_manifests(self) -> Iterator[tuple[Name, Path]]:
        if not self.manifests.is_dir():
            return
        for path in self.manifests.glob("*/*/*/*"):
            if path.is_file() and not path.name.startswith("."):
                host, ns, model, tag = path.relative_to(self.manifests).parts
                yield Name(host, ns, model, tag), path

    def delete(self, name: Name) -> None:
        """Remove the manifest, then the blobs no other manifest references."""
        path = self.manifest_path(name)
        try:
            manifest = Manifest.from_bytes(path.read_bytes())
        except FileNotFoundError:
            raise ModelNotFound(name.given) from None
        path.unlink()
        for parent in list(path.parents)[:3]:  # tidy empty tag/model/namespace folders
            with contextlib.suppress(OSError):
                parent.rmdir()
        self.remove_unreferenced(manifest.digests())

    def referenced(self) -> set[str]:
        refs: set[str] = set()
        for _, path in self.iter_manifests():
            with contextlib.suppress(ValueError, KeyError, OSError):
                refs |= Manifest.from_bytes(path.read_bytes()).digests()
        return refs

    def remove_unreferenced(self, candidates: Iterable[str]) -> None:
        refs = self.referenced()
        for digest in set(candidates) - refs:
            with contextlib.suppress(FileNotFoundError, BadRequest):
                self.blob_path(digest).unlink()

    def prune(self) -> int:
        """Delete blobs no manifest references and leftover temp files; returns how many."""
        if not self.blobs.is_dir():
            return 0
        refs = {d.replace(":", "-") for d in self.referenced()}
        removed = 0
        for path in self.blobs.iterdir():
            name = path.name
            if name.startswith(".incoming-") or (name.startswith("sha256-") and name not in refs
                                                 and not name.endswith("-partial")
                                                 and "-partial-" not in name):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed

    def copy(self, src: Name, dst: Name) -> None:
        path = self.manifest_path(src)
        if not path.is_file():
            raise ModelNotFound(src.given)
        atomic_write(self.manifests.joinpath(*dst.parts), path.read_bytes())

    def copy_file_to(self, digest: str, dst: Path) -> None:
        shutil.copyfile(self.blob_path(digest), dst)
