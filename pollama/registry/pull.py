"""`pull`: manifest, then every missing blob, then the manifest is written (last, so never half a model)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pollama.api.errors import APIError
from pollama.registry.client import RegistryClient, as_registry_errors, error_from, pull_scope
from pollama.registry.download import PARALLEL, BlobDownload
from pollama.registry.errors import MANIFEST_NOT_FOUND, RegistryError
from pollama.registry.tasks import TICK, finished_within, settle
from pollama.store.layout import MANIFEST_MEDIA_TYPE, Layer, Manifest, Store, check_digest
from pollama.store.names import Name

__all__ = ["pull", "fetch_manifest", "MANIFEST_ACCEPT", "OCI_MANIFEST_MEDIA_TYPE"]

OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
MANIFEST_ACCEPT = f"{MANIFEST_MEDIA_TYPE}, {OCI_MANIFEST_MEDIA_TYPE}"
_MANIFEST_LIMIT = 4 << 20


@dataclass
class _Slot:
    """Per blob file in this process: one download at a time; others wait and watch its progress."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    current: BlobDownload | None = None


_slots: dict[tuple[asyncio.AbstractEventLoop, str], _Slot] = {}


async def fetch_manifest(client: RegistryClient, name: Name) -> bytes:
    """The manifest's exact bytes; 404 -> RegistryError("pull model manifest: file does not exist")."""
    url = client.url(f"/v2/{name.repository}/manifests/{name.tag}")
    async with client.open("GET", url, scope=pull_scope(name.repository),
                           headers={"Accept": MANIFEST_ACCEPT}) as resp:
        if resp.status_code == 404:
            raise RegistryError(MANIFEST_NOT_FOUND, 404)
        if resp.status_code != 200:
            raise await error_from(resp, "pull model manifest")
        raw = b""
        async for chunk in resp.aiter_bytes():
            raw += chunk
            if len(raw) > _MANIFEST_LIMIT:
                raise RegistryError("pull model manifest: manifest too large", 500)
        expected = resp.headers.get("docker-content-digest", "")
    if expected.startswith("sha256:") and expected != "sha256:" + hashlib.sha256(raw).hexdigest():
        raise RegistryError("pull model manifest: manifest digest does not match Docker-Content-Digest", 500)
    return raw


def _parse_manifest(raw: bytes) -> Manifest:
    try:
        data = json.loads(raw)
        media = data.get("mediaType", MANIFEST_MEDIA_TYPE)
        if media not in (MANIFEST_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE) or "config" not in data:
            raise RegistryError(f"pull model manifest: unsupported manifest type {media!r}", 500)
        manifest = Manifest.from_bytes(raw)
        for layer in (manifest.config, *manifest.layers):
            layer.digest = check_digest(layer.digest)
            if layer.size < 0:
                raise ValueError("negative layer size")
    except RegistryError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, APIError) as e:
        raise RegistryError(f"pull model manifest: invalid manifest: {e}", 500) from None
    return manifest


def _have(store: Store, layer: Layer) -> bool:
    try:
        return store.blob_path(layer.digest).stat().st_size == layer.size
    except FileNotFoundError:
        return False


async def _pull_layer(client: RegistryClient, store: Store, name: Name, layer: Layer,
                      streams: int) -> AsyncIterator[dict]:
    def status(completed: int) -> dict[str, Any]:
        return {"status": f"pulling {layer.digest[7:19]}", "digest": layer.digest,
                "total": layer.size, "completed": completed}

    if _have(store, layer):
        yield status(layer.size)
        return
    key = (asyncio.get_running_loop(), str(store.blob_path(layer.digest)))
    slot = _slots.setdefault(key, _Slot())
    slot.users += 1
    acquire = asyncio.ensure_future(slot.lock.acquire())
    task: asyncio.Future[None] | None = None
    try:
        while not await finished_within(acquire, TICK):  # another pull is fetching this blob
            yield status(slot.current.completed if slot.current else 0)
        if _have(store, layer):
            yield status(layer.size)
            return
        slot.current = download = BlobDownload(client, store, name.repository, layer.digest, layer.size, streams)
        task = asyncio.ensure_future(download.run())
        yield status(download.completed)
        while not await finished_within(task, TICK):
            yield status(download.completed)
        task.result()
        yield status(layer.size)
    finally:
        if task is not None:
            await settle(task)
        if acquire.done() and not acquire.cancelled() and acquire.exception() is None:
            slot.current = None
            slot.lock.release()
        else:
            await settle(acquire)
        slot.users -= 1
        if slot.users == 0 and _slots.get(key) is slot:
            del _slots[key]


async def _pull(store: Store, name: Name, insecure: bool, streams: int) -> AsyncIterator[dict]:
    yield {"status": "pulling manifest"}
    with store.hold() as hold:  # no concurrent delete or prune removes the model's blobs meanwhile
        async with RegistryClient(name.host, insecure=insecure) as client:
            raw = await fetch_manifest(client, name)
            manifest = _parse_manifest(raw)
            store.pin(hold, manifest.digests())
            async with contextlib.aclosing(_pull_layers(client, store, name, manifest, streams)) as events:
                async for event in events:
                    yield event
        yield {"status": "verifying sha256 digest"}  # each blob was verified before it entered the store
        for layer in (*manifest.layers, manifest.config):
            if not _have(store, layer):
                raise RegistryError(f"blob {layer.digest} is missing after download", 500)
        yield {"status": "writing manifest"}
        unused = await asyncio.to_thread(store.write_manifest, name, manifest, raw)
    if unused:
        yield {"status": "removing unused layers"}  # blobs of the tag's previous version, as Ollama
    yield {"status": "success"}


async def _pull_layers(client: RegistryClient, store: Store, name: Name, manifest: Manifest,
                       streams: int) -> AsyncIterator[dict]:
    seen: set[str] = set()
    for layer in (*manifest.layers, manifest.config):
        if layer.digest in seen:
            continue
        seen.add(layer.digest)
        async with contextlib.aclosing(_pull_layer(client, store, name, layer, streams)) as events:
            async for event in events:
                yield event


async def pull(store: Store, name: Name, *, insecure: bool = False, streams: int = PARALLEL) -> AsyncIterator[dict]:
    """Pull `name` into `store`, yielding Ollama's progress objects; errors raise RegistryError. A blob is
    fetched in ranged parts, `streams` of them at once (layers one after another)."""
    async with contextlib.aclosing(as_registry_errors(_pull(store, name, insecure, streams), "pull model manifest", "pull",
                                                      (OSError,))) as events:
        async for event in events:
            yield event
