"""Download one blob: parallel ranged parts into `blobs/sha256-<hex>-partial`, resumable, verified.

A sidecar `sha256-<hex>-partial-state` (JSON) records which byte ranges are on disk; it is saved every
second while bytes arrive and whenever the download stops, for any reason, so a later pull fetches
only what is missing (a killed process loses at most the last second of bytes). Only a failing local
disk (a full one, say) discards the partial file: the space it holds is given back at once.

The sha256 is computed in a thread that follows the growing run of bytes from offset 0, so
verification overlaps the download; the blob is renamed into the store only after its digest matched,
and bad bytes are discarded. Like Ollama, the finished blob is not fsynced before the rename (that
would cost seconds for a large model), and nothing forces its writeback early: on ext4, truncating a
file to zero or sync_file_range() makes the blocks get allocated, and then the fsync of the manifest
written right after has to wait for the whole blob to reach the disk (measured: 0.25 s for 200 MB, a
third of the pull). So a restarted download unlinks its old partial file instead of truncating it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import threading
import time
from collections import deque
from pathlib import Path

import httpx

from pollama.registry.client import RegistryClient, describe, error_from, pull_scope
from pollama.registry.errors import DIGEST_MISMATCH, TRANSIENT_STATUS, RegistryError, Transient
from pollama.registry.ranges import RangeSet, split
from pollama.store.layout import Store, StoreError, disk_op

__all__ = ["BlobDownload", "partial_paths", "PARALLEL", "MIN_PART", "MAX_PART"]

PARALLEL = 4  # concurrent ranged requests per blob, by default (OLLAMA_MAX_TRANSFER_STREAMS)
MIN_PART = 16 << 20  # parts are size/16 within these bounds: few requests, yet a short hashing tail
MAX_PART = 128 << 20
MAX_ATTEMPTS = 5  # consecutive failed attempts (no new bytes) before a part gives up
RETRY_BACKOFF = 0.5  # seconds, doubled per attempt
SAVE_INTERVAL = 1.0  # seconds between sidecar saves while bytes arrive
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


def partial_paths(store: Store, digest: str) -> tuple[Path, Path]:
    """(partial data file, JSON sidecar) for a blob being downloaded."""
    blob = store.blob_path(digest)
    return blob.with_name(blob.name + "-partial"), blob.with_name(blob.name + "-partial-state")


def part_size(size: int) -> int:
    return min(max(size // 16, MIN_PART), MAX_PART)


class _Hasher:
    """sha256 of a file being filled, computed in a thread as its leading run of bytes grows."""

    _READ = 4 << 20
    _BATCH = 1 << 20

    def __init__(self, path: Path) -> None:
        self._path = path
        self._sha = hashlib.sha256()
        self._hashed = 0
        self._ready = 0
        self._final: int | None = None
        self._aborted = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="pollama-sha256", daemon=True)
        self._thread.start()

    def advance(self, upto: int) -> None:
        """Bytes `[0, upto)` are on disk; the thread is woken once a batch of them is waiting."""
        if upto - self._ready >= self._BATCH:
            with self._cond:
                self._ready = max(self._ready, upto)
                self._cond.notify()

    def abort(self) -> None:
        with self._cond:
            self._aborted = True
            self._cond.notify()

    async def result(self, size: int) -> str:
        with self._cond:
            self._ready = self._final = size
            self._cond.notify()
        await asyncio.to_thread(self._thread.join)
        if self._error is not None:
            raise RegistryError(f"verifying sha256 digest: {self._error}", 500)
        return "sha256:" + self._sha.hexdigest()

    def _run(self) -> None:
        try:
            with open(self._path, "rb", buffering=0) as f:
                buf = bytearray(self._READ)
                view = memoryview(buf)
                while True:
                    with self._cond:
                        while not self._aborted and self._hashed >= self._ready and (
                            self._final is None or self._hashed < self._final
                        ):
                            self._cond.wait()
                        if self._aborted or (self._final is not None and self._hashed >= self._final):
                            return
                        want = min(self._ready - self._hashed, self._READ)
                    got = os.preadv(f.fileno(), [view[:want]], self._hashed)
                    if got <= 0:
                        raise OSError("partial file is shorter than expected")
                    self._sha.update(view[:got])
                    self._hashed += got
        except BaseException as e:  # reported by result()
            self._error = e


class BlobDownload:
    """Fetch `digest` (`size` bytes) of `repository` into the store, with at most `streams` ranged requests at
    once; `completed` counts bytes on disk."""

    def __init__(self, client: RegistryClient, store: Store, repository: str, digest: str, size: int,
                 streams: int = PARALLEL) -> None:
        self.client = client
        self.streams = max(1, streams)
        self.store = store
        self.repository = repository
        self.digest = digest
        self.size = size
        self.blob = store.blob_path(digest)
        self.partial, self.state = partial_paths(store, digest)
        self.have = self._load()
        self.completed = self.have.total()  # already on disk from an earlier, interrupted pull
        self.fetched = 0  # bytes received over the network by this download
        self._last_save = 0.0

    # ---- sidecar ---------------------------------------------------------------------------------
    def _load(self) -> RangeSet:
        try:
            data = json.loads(self.state.read_text())
            if data.get("digest") != self.digest or data.get("size") != self.size:
                return RangeSet()
            if self.partial.stat().st_size != self.size:
                return RangeSet()
            spans = [(int(s), int(e)) for s, e in data.get("have") or []]
        except (OSError, ValueError, TypeError, AttributeError):
            return RangeSet()
        return RangeSet((max(0, s), min(e, self.size)) for s, e in spans)

    def _save(self) -> None:
        self._last_save = time.monotonic()
        payload = json.dumps({"digest": self.digest, "size": self.size, "have": self.have.spans()})
        try:
            self._state_tmp.write_text(payload)
            os.replace(self._state_tmp, self.state)
        except OSError:  # best effort (a full disk): an older sidecar only means fetching more again
            with contextlib.suppress(OSError):
                self._state_tmp.unlink()

    @property
    def _state_tmp(self) -> Path:
        return self.state.with_name(self.state.name + ".tmp")

    def discard(self) -> None:
        for path in (self.partial, self.state, self._state_tmp):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # ---- the download ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Download, verify and move the blob into the store; a disk error is a StoreError."""
        try:
            with disk_op("write", self.partial):
                await self._run()
        except StoreError:
            self.discard()
            raise

    async def _run(self) -> None:
        self.store.blobs.mkdir(parents=True, exist_ok=True)
        self.have = self._load()
        if self.have.total() == 0:  # start afresh: a new file, not a truncated one (see the docstring)
            self.discard()
        fd = os.open(self.partial, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, self.size)
            self.completed = self.have.total()
            self._last_save = time.monotonic()
            hasher = _Hasher(self.partial)
            hasher.advance(self.have.prefix())
            parts = split(self.have.missing(self.size), part_size(self.size))
            try:
                await self._fetch_all(fd, parts, hasher)
            except BaseException:
                hasher.abort()
                self._save()
                raise
            actual = await hasher.result(self.size)
            if actual != self.digest:
                self.discard()
                raise RegistryError(f"{DIGEST_MISMATCH}: want {self.digest}, got {actual}", 500)
        finally:
            os.close(fd)
        os.replace(self.partial, self.blob)
        with contextlib.suppress(FileNotFoundError):
            self.state.unlink()

    async def _fetch_all(self, fd: int, parts: list[tuple[int, int]], hasher: _Hasher) -> None:
        queue = deque(parts)

        async def worker() -> None:
            while queue:
                start, end = queue.popleft()
                await self._fetch(fd, start, end, hasher)

        tasks = [asyncio.ensure_future(worker()) for _ in range(min(self.streams, len(parts)))]
        if not tasks:
            return
        try:
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = next((t for t in done if t.exception() is not None), None)
            if failed is not None:
                raise failed.exception()  # type: ignore[misc]
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _fetch(self, fd: int, start: int, end: int, hasher: _Hasher) -> None:
        url = self.client.url(f"/v2/{self.repository}/blobs/{self.digest}")
        cursor = [start]  # advanced by _fetch_once as bytes land, also when it fails midway
        attempts = 0
        while cursor[0] < end:
            before = cursor[0]
            try:
                await self._fetch_once(url, fd, cursor, end, hasher)
                if cursor[0] < end:
                    raise Transient(f"connection closed after {cursor[0] - start} of {end - start} bytes")
            except (httpx.TransportError, Transient) as e:
                attempts = 1 if cursor[0] > before else attempts + 1
                if attempts >= MAX_ATTEMPTS:
                    detail = describe(e) if isinstance(e, httpx.TransportError) else str(e)
                    raise RegistryError(f"download of {self.digest[7:19]} failed: {detail}", 500) from None
                await asyncio.sleep(RETRY_BACKOFF * 2 ** (attempts - 1))

    async def _fetch_once(self, url: httpx.URL, fd: int, cursor: list[int], end: int, hasher: _Hasher) -> None:
        pos = cursor[0]
        headers = {"Range": f"bytes={pos}-{end - 1}", "Accept-Encoding": "identity"}
        async with self.client.open("GET", url, scope=pull_scope(self.repository), headers=headers) as resp:
            code = resp.status_code
            if code == 206:
                m = _CONTENT_RANGE.match(resp.headers.get("content-range", ""))
                if m is None or int(m.group(1)) != pos:
                    raise RegistryError(f"registry sent the wrong range for {self.digest[7:19]}", 500)
                skip = 0
            elif code == 200:
                skip = pos  # ranges not supported: the body starts at offset 0
            elif code == 416:
                raise RegistryError(f"blob {self.digest[7:19]} is shorter than its manifest says", 500)
            elif code in TRANSIENT_STATUS:
                await resp.aread()
                raise Transient(f"registry answered {code}")
            else:
                raise await error_from(resp, f"pulling {self.digest[7:19]}")
            async for data in resp.aiter_raw():
                self.fetched += len(data)
                if skip:
                    if len(data) <= skip:
                        skip -= len(data)
                        continue
                    data, skip = data[skip:], 0
                if len(data) > end - pos:  # more than asked for (a 200): keep what we need, stop
                    data, overrun = data[: end - pos], True
                else:
                    overrun = False
                written = 0
                while written < len(data):
                    written += os.pwrite(fd, data[written:] if written else data, pos + written)
                self.have.add(pos, pos + written)
                pos = cursor[0] = pos + written
                self.completed += written
                hasher.advance(self.have.prefix())
                if overrun:  # (reading a response to its end lets its connection be reused)
                    break
                if time.monotonic() - self._last_save > SAVE_INTERVAL:
                    self._save()
