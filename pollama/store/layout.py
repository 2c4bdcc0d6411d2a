"""Ollama's on-disk store: manifests/<host>/<ns>/<model>/<tag> and blobs/sha256-<hex>.

Every write is atomic (temp file in the same folder, fsync, rename) and every blob is checked against
its digest before it becomes visible. A failed disk operation is a 500 worded as Ollama's
(`write <path>: no space left on device`).

One lock per Store serialises what changes the set of models (manifest writes, deletes, removal of
unreferenced blobs, prune) and the reads that must see a model whole (`load_model`). Blob bytes are
written outside it; an operation that writes or relies on blobs for a while (create, pull, show) holds
them (`Store.hold`) so that no concurrent delete or prune removes them meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pollama.api.errors import APIError, BadRequest, ModelNotFound
from pollama.store.names import Name

__all__ = [
    "Store", "Hold", "Manifest", "Layer", "DigestMismatch", "StoreError", "MANIFEST_MEDIA_TYPE",
    "CONFIG_MEDIA_TYPE", "MEDIA", "check_digest", "atomic_write", "disk_op",
]

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
MEDIA = {
    kind: f"application/vnd.ollama.image.{kind}"
    for kind in ("model", "adapter", "projector", "template", "system", "params", "messages", "license")
}
MEDIA["draft"] = "application/vnd.pollama.image.draft"  # pollama's own: a DRAFT model's GGUF
_DIGEST = re.compile(r"^sha256[:-]([0-9a-f]{64})$")
_NOT_FOUND = (FileNotFoundError, NotADirectoryError)  # a path (or a folder on it) that is not there


class DigestMismatch(BadRequest):
    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"digest mismatch, expected \"{expected}\", got \"{actual}\"")


def check_digest(digest: str) -> str:
    """Normalize `sha256:<hex>` / `sha256-<hex>` to `sha256:<hex>`; 400 on anything else."""
    m = _DIGEST.match(digest or "")
    if not m:
        raise BadRequest(f"invalid digest format: {digest!r}")
    return f"sha256:{m.group(1)}"


class StoreError(APIError):
    """A disk operation of the store failed (500)."""


@contextlib.contextmanager
def disk_op(op: str, path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an OSError into a StoreError worded as Ollama's: `<op> <path>: no space left on device`."""
    try:
        yield
    except OSError as e:
        raise StoreError(f"{op} {e.filename or os.fspath(path)}: {(e.strerror or str(e)).lower()}") from e


def atomic_write(path: Path, data: bytes) -> None:
    with disk_op("mkdir", path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
    with disk_op("write", path):
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


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """A folder's entries; none when it is not there (any more)."""
    try:
        with os.scandir(folder) as it:
            return list(it)
    except _NOT_FOUND:
        return []


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


@dataclass
class Hold:
    """The blobs one unfinished operation relies on (see `Store.hold`)."""

    pinned: Counter[str] = field(default_factory=Counter)
    written: set[str] = field(default_factory=set)  # blobs it brought into the store


class Store:
    """One OLLAMA_MODELS folder. With `noprune` (OLLAMA_NOPRUNE), overwriting a model keeps the blobs of
    the version it replaces."""

    def __init__(self, root: Path, *, noprune: bool = False) -> None:
        self.root = Path(root)
        self.noprune = noprune
        self.blobs = self.root / "blobs"
        self.manifests = self.root / "manifests"
        self.lock = threading.RLock()
        self._pins: Counter[str] = Counter()  # digest -> holds pinning it
        self._doomed: set[str] = set()  # unreferenced but pinned: removed when the last hold ends
        self._incoming: set[str] = set()  # temp files of blobs being written

    # ---- holds -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def hold(self) -> Iterator[Hold]:
        """While the hold lasts, no delete, overwrite or prune removes a blob pinned through it. At its
        end, the blobs it wrote (a failed create) or whose removal it delayed go if nothing uses them."""
        hold = Hold()
        try:
            yield hold
        finally:
            with self.lock:
                self._pins -= hold.pinned
                self._remove_unreferenced(hold.written | (self._doomed & hold.pinned.keys()))

    def pin(self, hold: Hold, digests: Iterable[str]) -> list[str]:
        """Pin blobs for `hold`; returns the digests among them that are not in the store."""
        digests = list(digests)
        with self.lock:
            hold.pinned.update(digests)
            self._pins.update(digests)
            return [d for d in digests if not self.has_blob(d)]

    # ---- blobs -----------------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blobs / check_digest(digest).replace(":", "-")

    def split_dir(self, digest: str) -> Path:
        """Where a single-file vision model's blob is split for llama.cpp (pollama/store/split.py)."""
        return self.root / ".pollama-split" / check_digest(digest).replace(":", "-")

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def write_blob(self, chunks: Iterable[bytes], expected: str | None = None,
                   hold: Hold | None = None) -> tuple[str, int]:
        """Stream bytes into the store; verified against `expected` before it becomes visible, and
        pinned for `hold` as it does. `chunks` is consumed outside the lock (it may wait on a client)."""
        if expected is not None:
            expected = check_digest(expected)
        with disk_op("mkdir", self.blobs):
            self.blobs.mkdir(parents=True, exist_ok=True)
        with self.lock, disk_op("write", self.blobs):  # registered at once, so prune leaves it alone
            fd, tmp = tempfile.mkstemp(dir=self.blobs, prefix=".incoming-", suffix=".tmp")
            self._incoming.add(os.path.basename(tmp))
        h, size = hashlib.sha256(), 0
        try:
            with disk_op("write", tmp), os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    h.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            digest = f"sha256:{h.hexdigest()}"
            if expected is not None and digest != expected:
                raise DigestMismatch(expected, digest)
            with self.lock, disk_op("rename", tmp):
                if hold is not None:
                    if not self.has_blob(digest):
                        hold.written.add(digest)
                    self.pin(hold, [digest])
                os.replace(tmp, self.blob_path(digest))
            return digest, size
        finally:
            with self.lock:
                self._incoming.discard(os.path.basename(tmp))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def write_blob_bytes(self, data: bytes, hold: Hold | None = None) -> tuple[str, int]:
        return self.write_blob([data], hold=hold)

    def import_file(self, path: Path, expected: str | None = None, hold: Hold | None = None) -> tuple[str, int]:
        with open(path, "rb") as f:
            return self.write_blob(iter(lambda: f.read(1 << 20), b""), expected, hold)

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
            match = next((e for e in _entries(here) if e.name.lower() == part.lower()), None)
            if match is None:
                return None
            here = Path(match.path)
        return here if here.is_file() else None

    def read_manifest_bytes(self, name: Name) -> tuple[bytes, float]:
        """The manifest's bytes and modification time, from one open; ModelNotFound when it is not there."""
        try:
            with open(self.manifest_path(name), "rb") as f:
                return f.read(), os.fstat(f.fileno()).st_mtime
        except (*_NOT_FOUND, IsADirectoryError):
            raise ModelNotFound(name.given) from None

    def read_manifest(self, name: Name) -> Manifest:
        return Manifest.from_bytes(self.read_manifest_bytes(name)[0])

    def exists(self, name: Name) -> bool:
        return self.manifest_path(name).is_file()

    def write_manifest(self, name: Name, manifest: Manifest, raw: bytes | None = None) -> set[str]:
        """Write `manifest` (or its exact original bytes `raw`, e.g. as pulled) under `name`, then remove
        the blobs of the version it replaces that nothing else uses (unless `noprune`), as Ollama does;
        returns the digests the old version had and the new one has not (none under `noprune`)."""
        with self.lock:
            missing = [d for d in manifest.digests() if not self.has_blob(d)]
            if missing:
                raise BadRequest(f"manifest references missing blob {missing[0]}")
            try:
                old = self.read_manifest(name).digests()
            except (ModelNotFound, ValueError, KeyError, TypeError):
                old = set()
            previous = self._find_casefold(name)
            target = self.manifests.joinpath(*name.parts)
            atomic_write(target, manifest.to_bytes() if raw is None else raw)
            if previous is not None and previous != target:  # same name, other letter case: keep one
                with disk_op("remove", previous):
                    previous.unlink(missing_ok=True)
            unused = set() if self.noprune else old - manifest.digests()
            self._remove_unreferenced(unused)
            return unused

    def iter_manifests(self) -> Iterator[tuple[Name, Path]]:
        """Every manifest; folders that vanish meanwhile (a concurrent delete) are skipped."""
        for host in _entries(self.manifests):
            for ns in _entries(Path(host.path)):
                for model in _entries(Path(ns.path)):
                    for tag in _entries(Path(model.path)):
                        if tag.is_file() and not tag.name.startswith("."):
                            yield Name(host.name, ns.name, model.name, tag.name), Path(tag.path)

    def delete(self, name: Name) -> None:
        """Remove the manifest, then the blobs no other manifest references."""
        with self.lock:
            path = self.manifest_path(name)
            manifest = self.read_manifest(name)
            with disk_op("remove", path):
                path.unlink()
            for parent in list(path.parents)[:3]:  # tidy empty tag/model/namespace folders
                with contextlib.suppress(OSError):
                    parent.rmdir()
            self._remove_unreferenced(manifest.digests())

    def referenced(self) -> set[str]:
        refs: set[str] = set()
        for _, path in self.iter_manifests():
            with contextlib.suppress(ValueError, KeyError, OSError):
                refs |= Manifest.from_bytes(path.read_bytes()).digests()
        return refs

    def _remove_unreferenced(self, candidates: Iterable[str]) -> int:
        """Remove the candidates no manifest references; a pinned one waits for its holds to end.
        Returns how many were removed. The caller holds the lock."""
        candidates, removed = set(candidates), 0
        if not candidates:
            return 0
        refs = self.referenced()
        for digest in candidates:
            if digest in refs:
                self._doomed.discard(digest)
            elif self._pins[digest]:
                self._doomed.add(digest)  # removed when its last hold ends, if still unused then
            else:
                self._doomed.discard(digest)
                with contextlib.suppress(FileNotFoundError):
                    self.blob_path(digest).unlink()
                    removed += 1
                shutil.rmtree(self.split_dir(digest), ignore_errors=True)
        return removed

    def prune(self) -> int:
        """Delete blobs no manifest references and leftover temp files; returns how many."""
        with self.lock:
            names = [e.name for e in _entries(self.blobs)]
            stale = [n for n in names if n.startswith(".incoming-") and n not in self._incoming]
            for n in stale:
                with contextlib.suppress(FileNotFoundError):
                    (self.blobs / n).unlink()
            blobs = [n.replace("-", ":", 1) for n in names if _DIGEST.match(n)]
            return len(stale) + self._remove_unreferenced(blobs)

    def copy(self, src: Name, dst: Name) -> None:
        with self.lock:
            raw, _ = self.read_manifest_bytes(src)
            self.write_manifest(dst, Manifest.from_bytes(raw), raw=raw)
