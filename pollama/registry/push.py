"""`push`: every blob the registry lacks (mounted from a sibling repository when possible, else a
chunked upload), then the manifest, byte for byte as it is stored locally."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from pollama.api.errors import APIError
from pollama.registry.client import (
    RegistryClient,
    as_registry_errors,
    describe,
    error_from,
    pull_scope,
    push_scope,
)
from pollama.registry.errors import TRANSIENT_STATUS, RegistryError, Transient
from pollama.registry.tasks import TICK, finished_within, settle
from pollama.store.layout import MANIFEST_MEDIA_TYPE, Layer, Manifest, Store
from pollama.store.names import Name, parse_name

__all__ = ["push", "mount_sources", "CHUNK", "MAX_MOUNT_SOURCES"]

CHUNK = 32 << 20  # bytes per PATCH
PIECE = 1 << 20  # bytes per read while streaming a PATCH body
MAX_MOUNT_SOURCES = 3
MAX_ATTEMPTS = 5
RETRY_BACKOFF = 0.5
_RANGE = re.compile(r"^\s*(?:bytes=)?0-(\d+)\s*$")


def mount_sources(store: Store, name: Name, layer: Layer) -> list[str]:
    """Other repositories on `name`'s host that should hold `layer`: its `from`, then local manifests."""
    host, here = name.host.lower(), name.repository.lower()
    out: list[str] = []

    def add(other: Name) -> None:
        repo = other.repository
        if other.host.lower() == host and repo.lower() != here and repo not in out:
            out.append(repo)

    if layer.from_:
        with contextlib.suppress(APIError):
            add(parse_name(layer.from_))
    for other, path in sorted(store.iter_manifests(), key=lambda item: str(item[1])):
        if len(out) >= MAX_MOUNT_SOURCES:
            break
        if other.host.lower() != host or other.repository.lower() == here:
            continue
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            if layer.digest in Manifest.from_bytes(path.read_bytes()).digests():
                add(other)
    return out[:MAX_MOUNT_SOURCES]


class _Upload:
    """A chunked upload of one local blob: PATCH with Content-Range, following Location, then PUT."""

    def __init__(self, client: RegistryClient, store: Store, repository: str, layer: Layer) -> None:
        self.client = client
        self.store = store
        self.repository = repository
        self.layer = layer
        self.completed = 0

    async def _body(self, offset: int, length: int) -> AsyncIterator[bytes]:
        self.completed = offset
        with self.store.open_blob(self.layer.digest) as f:
            f.seek(offset)
            left = length
            while left > 0:
                data = f.read(min(PIECE, left))
                if not data:
                    raise RegistryError(f"blob {self.layer.digest} is shorter than its manifest says", 500)
                left -= len(data)
                self.completed += len(data)
                yield data

    async def _resume_offset(self, url: httpx.URL, scope: str) -> tuple[httpx.URL, int]:
        """Ask the registry how much of the upload it has (GET on the upload URL: 204 + Range)."""
        async with self.client.open("GET", url, scope=scope) as resp:
            if resp.status_code != 204:
                raise await error_from(resp, f"pushing {self.layer.digest[7:19]}")
            m = _RANGE.match(resp.headers.get("range", ""))
            location = resp.headers.get("location")
        # Docker's registry answers "0-0" both for no bytes and for one: take it as none (the likely case)
        end = int(m.group(1)) if m else 0
        return (url.join(location) if location else url), end + 1 if end > 0 else 0

    async def run(self, location: httpx.URL) -> None:
        scope = push_scope(self.repository)
        url, offset, size, attempts = location, 0, self.layer.size, 0
        while offset < size:
            length = min(CHUNK, size - offset)
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{offset + length - 1}",
                "Content-Length": str(length),
            }
            try:
                async with self.client.open("PATCH", url, scope=scope, headers=headers,
                                            body=lambda o=offset, n=length: self._body(o, n)) as resp:
                    if resp.status_code in TRANSIENT_STATUS:
                        await resp.aread()
                        raise Transient(f"registry answered {resp.status_code}")
                    if resp.status_code != 202:
                        raise await error_from(resp, f"pushing {self.layer.digest[7:19]}")
                    url = url.join(resp.headers.get("location", str(url)))
                offset += length
                attempts = 0
            except (httpx.TransportError, Transient) as e:
                attempts += 1
                if attempts >= MAX_ATTEMPTS:
                    detail = describe(e) if isinstance(e, httpx.TransportError) else str(e)
                    raise RegistryError(f"pushing {self.layer.digest[7:19]}: {detail}", 500) from None
                await asyncio.sleep(RETRY_BACKOFF * 2 ** (attempts - 1))
                url, offset = await self._resume_offset(url, scope)
            self.completed = offset
        headers = {"Content-Type": "application/octet-stream", "Content-Length": "0"}
        async with self.client.open("PUT", url, scope=scope, headers=headers, body=b"",
                                    params={"digest": self.layer.digest}) as resp:
            if resp.status_code not in (201, 204):
                raise await error_from(resp, f"pushing {self.layer.digest[7:19]}")
        self.completed = size


async def _blob_exists(client: RegistryClient, repository: str, digest: str, scope: str) -> bool:
    async with client.open("HEAD", f"/v2/{repository}/blobs/{digest}", scope=scope) as resp:
        if resp.status_code == 200:
            return True
        if resp.status_code == 404:
            return False
        raise await error_from(resp, f"checking {digest[7:19]}")


async def _start_upload(client: RegistryClient, store: Store, name: Name, layer: Layer) -> httpx.URL | None:
    """Mount the blob from a sibling repository (None: done) or open an upload session (its URL)."""
    repo = name.repository
    uploads = f"/v2/{repo}/blobs/uploads/"
    for source in mount_sources(store, name, layer):
        try:
            if not await _blob_exists(client, source, layer.digest, pull_scope(source)):
                continue
        except RegistryError:
            continue  # no access to that repository: not a mount source for us
        scope = f"{push_scope(repo)} {pull_scope(source)}"
        async with client.open("POST", uploads, scope=scope,
                               params={"mount": layer.digest, "from": source}) as resp:
            if resp.status_code == 201:
                return None
            if resp.status_code == 202 and "location" in resp.headers:
                return client.url(uploads).join(resp.headers["location"])
            raise await error_from(resp, f"pushing {layer.digest[7:19]}")
    async with client.open("POST", uploads, scope=push_scope(repo)) as resp:
        if resp.status_code != 202 or "location" not in resp.headers:
            raise await error_from(resp, f"pushing {layer.digest[7:19]}")
        return client.url(uploads).join(resp.headers["location"])


async def _push_layer(client: RegistryClient, store: Store, name: Name, layer: Layer) -> AsyncIterator[dict]:
    def status(completed: int) -> dict[str, Any]:
        return {"status": f"pushing {layer.digest[7:19]}", "digest": layer.digest,
                "total": layer.size, "completed": completed}

    if await _blob_exists(client, name.repository, layer.digest, push_scope(name.repository)):
        yield status(layer.size)  # the registry has it already (Ollama reports it this way too)
        return
    if not store.has_blob(layer.digest):
        raise RegistryError(f"blob {layer.digest} of {name.display} is missing from the local store", 500)
    location = await _start_upload(client, store, name, layer)
    if location is None:  # mounted
        yield status(layer.size)
        return
    upload = _Upload(client, store, name.repository, layer)
    task = asyncio.ensure_future(upload.run(location))
    try:
        yield status(0)
        while not await finished_within(task, TICK):
            yield status(upload.completed)
        task.result()
    finally:
        await settle(task)
    yield status(layer.size)


async def _push(store: Store, name: Name, insecure: bool) -> AsyncIterator[dict]:
    try:
        raw = store.manifest_path(name).read_bytes()
    except FileNotFoundError:
        raise RegistryError(f"model '{name.display}' not found", 404) from None
    manifest = Manifest.from_bytes(raw)
    yield {"status": "retrieving manifest"}
    async with RegistryClient(name.host, insecure=insecure) as client:
        seen: set[str] = set()
        for layer in (*manifest.layers, manifest.config):
            if layer.digest in seen:
                continue
            seen.add(layer.digest)
            async with contextlib.aclosing(_push_layer(client, store, name, layer)) as events:
                async for event in events:
                    yield event
        yield {"status": "pushing manifest"}
        headers = {"Content-Type": manifest.media_type or MANIFEST_MEDIA_TYPE}
        async with client.open("PUT", f"/v2/{name.repository}/manifests/{name.tag}",
                               scope=push_scope(name.repository), headers=headers, body=raw) as resp:
            if resp.status_code not in (200, 201):
                raise await error_from(resp, "pushing manifest")
    yield {"status": "success"}


async def push(store: Store, name: Name, *, insecure: bool = False) -> AsyncIterator[dict]:
    """Push `name` from `store`, yielding Ollama's progress objects; errors raise RegistryError."""
    async with contextlib.aclosing(as_registry_errors(_push(store, name, insecure), "push", "push",
                                                      (OSError, ValueError, KeyError))) as events:
        async for event in events:
            yield event
