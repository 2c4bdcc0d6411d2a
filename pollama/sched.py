"""Which models are loaded: load on first use, keep_alive timers, queue limit, eviction, reloads.

One runner process per loaded model (pollama.runner). A request `acquire`s a runner, which loads it
if needed (or reloads it when num_ctx/num_batch/num_thread differ), and `release`s it when done;
the last release arms the keep_alive timer.

Load-time options are clamped, never refused (as Ollama clamps num_ctx and num_batch): num_ctx to
MIN_CTX..the model's training context, num_batch to 1..num_ctx, num_thread to 1..the CPUs this process
may use; 0 or less means the default. Values that clamp to the loaded runner's key reuse it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pollama.api.duration import FOREVER, parse_duration
from pollama.api.errors import APIError, BadRequest, ServerBusy
from pollama.config import Settings
from pollama.store import Model, Store
from pollama.store.names import Name

__all__ = ["Scheduler", "Loaded", "RunnerKey"]

log = logging.getLogger("pollama")
DEFAULT_PARALLEL = 4
DEFAULT_BATCH = 512
SHUTTING_DOWN = "server is shutting down"
MIN_CTX = 16


@dataclass(frozen=True)
class RunnerKey:
    """What a loaded runner was started with; a request needing other values forces a reload."""

    num_ctx: int
    num_batch: int
    num_thread: int
    embedding: bool


@dataclass
class Loaded:
    model: Model
    key: RunnerKey
    runner: Any  # pollama.runner.client.RunnerProcess
    parallel: int
    size: int
    active: int = 0
    keep_alive: float = 300.0
    expires_at: float = 0.0  # wall clock; 0 while in use
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.TimerHandle | None = None
    closing: bool = False

    @property
    def name(self) -> Name:
        return self.model.name


def _positive(value: Any) -> int:
    """An integer option's value, or 0 where it is missing or not positive (the default applies)."""
    return max(int(value or 0), 0)


def _available_memory(*fields: str) -> int:
    """The sum of these /proc/meminfo fields (default MemAvailable) in bytes; 8 GiB where unreadable."""
    fields = fields or ("MemAvailable",)
    try:
        with open("/proc/meminfo") as f:
            values = {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in f)}
        return sum(values.get(name, 0) for name in fields)
    except (OSError, ValueError, IndexError):
        return 8 << 30


def _human_bytes(n: int) -> str:
    """Bytes as Ollama's format.HumanBytes2 writes them."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def kv_bytes_per_token(model: Model) -> int:
    info = model.info()
    if info is None:
        return 0
    layers = int(info.arch_key("block_count", 0) or 0)
    embd = int(info.arch_key("embedding_length", 0) or 0)
    heads = int(info.arch_key("attention.head_count", 1) or 1)
    heads_kv = info.arch_key("attention.head_count_kv", heads) or heads
    if isinstance(heads_kv, list):
        heads_kv = max(heads_kv)
    key_len = int(info.arch_key("attention.key_length", embd // max(heads, 1)) or 0)
    return 2 * 2 * layers * int(heads_kv) * key_len  # K and V, f16


class Scheduler:
    def __init__(self, store: Store, cfg: Settings) -> None:
        self.store = store
        self.cfg = cfg
        self.loaded: dict[tuple[str, ...], Loaded] = {}
        self.lock = asyncio.Lock()
        self.pending = 0
        self.closed = False  # shutting down: nothing loads any more
        self.default_keep_alive = self._keep_alive(cfg.keep_alive, 300.0)
        self.max_loaded = cfg.max_loaded_models if cfg.max_loaded_models > 0 else 3
        self.threads = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
                           (os.cpu_count() or 1))

    @staticmethod
    def _keep_alive(value: Any, default: float) -> float:
        if value is None:
            return default
        try:
            return parse_duration(value)
        except ValueError as e:
            raise BadRequest(str(e)) from None

    def keep_alive_of(self, value: Any) -> float:
        return self._keep_alive(value, self.default_keep_alive)

    # ---- acquire / release ---------------------------------------------------------------------
    def runner_key(self, model: Model, options: dict[str, Any], embedding: bool) -> RunnerKey:
        """The runner a request needs, its load-time options clamped (see the module docstring)."""
        info = model.info()
        train = info.context_length if info else 0
        num_ctx = _positive(options.get("num_ctx")) or self.cfg.context_length
        num_ctx = max(min(num_ctx, train) if train else num_ctx, MIN_CTX)
        num_batch = min(_positive(options.get("num_batch")) or DEFAULT_BATCH, num_ctx)
        num_thread = min(_positive(options.get("num_thread")) or self.threads, self.threads)
        return RunnerKey(num_ctx, num_batch, num_thread, embedding)

    @contextlib.asynccontextmanager
    async def use(self, model: Model, options: dict[str, Any], keep_alive: Any = None,
                  embedding: bool = False) -> AsyncIterator[tuple[Loaded, float]]:
        """Hold a loaded runner for one request. Yields (loaded, load_seconds)."""
        ka = self.keep_alive_of(keep_alive)
        loaded, load_seconds = await self.acquire(model, options, ka, embedding)
        try:
            yield loaded, load_seconds
        finally:
            self.release(loaded)

    async def acquire(self, model: Model, options: dict[str, Any], keep_alive: float,
                      embedding: bool) -> tuple[Loaded, float]:
        key = self.runner_key(model, options, embedding)
        waiting = self.pending + sum(max(0, lo.active - lo.parallel) for lo in self.loaded.values())
        if waiting >= self.cfg.max_queue:
            raise ServerBusy()
        self.pending += 1
        try:
            t0 = time.perf_counter()
            loaded_now = False
            while True:
                if self.closed:
                    raise APIError(SHUTTING_DOWN, 503)
                async with self.lock:
                    current = self.loaded.get(model.name.key())
                    if current is not None and current.runner.alive and not current.closing \
                            and current.key == key and current.model.digest == model.digest:
                        self._claim(current, keep_alive)
                        return current, (time.perf_counter() - t0) if loaded_now else 0.0
                    if current is not None and (current.active == 0 or not current.runner.alive):
                        await self._unload(current)
                        current = None
                    if current is None:
                        victim = self._eviction_candidate()
                        if len(self.loaded) < self.max_loaded or victim is not None:
                            if len(self.loaded) >= self.max_loaded and victim is not None:
                                await self._unload(victim)
                            loaded = await self._load(model, key)
                            loaded_now = True
                            self._claim(loaded, keep_alive)
                            return loaded, time.perf_counter() - t0
                        waiter = next(iter(self.loaded.values()))
                    else:
                        current.closing = True  # reload after the requests in flight finish
                        waiter = current
                await waiter.idle.wait()
        finally:
            self.pending -= 1

    def _claim(self, loaded: Loaded, keep_alive: float) -> None:
        loaded.active += 1
        loaded.keep_alive = keep_alive
        loaded.expires_at = 0.0
        loaded.idle.clear()
        if loaded.timer is not None:
            loaded.timer.cancel()
            loaded.timer = None

    def release(self, loaded: Loaded) -> None:
        loaded.active -= 1
        if loaded.active > 0:
            return
        loaded.idle.set()
        if loaded.closing or not loaded.runner.alive:
            asyncio.get_running_loop().create_task(self._unload_locked(loaded))
            return
        self._arm(loaded)

    def _arm(self, loaded: Loaded) -> None:
        if loaded.keep_alive == FOREVER:
            loaded.expires_at = FOREVER
            return
        loaded.expires_at = time.time() + loaded.keep_alive
        loop = asyncio.get_running_loop()
        loaded.timer = loop.call_later(loaded.keep_alive,
                                       lambda: loop.create_task(self._expire(loaded)))

    async def _expire(self, loaded: Loaded) -> None:
        if loaded.active == 0 and self.loaded.get(loaded.name.key()) is loaded:
            await self._unload_locked(loaded)

    def _eviction_candidate(self) -> Loaded | None:
        idle = [lo for lo in self.loaded.values() if lo.active == 0]
        return min(idle, key=lambda lo: lo.expires_at) if idle else None

    # ---- load / unload ---------------------------------------------------------------------------
    def choose_parallel(self, model: Model, key: RunnerKey) -> int:
        if key.embedding:
            want = self.cfg.num_parallel or DEFAULT_PARALLEL
        else:
            want = self.cfg.num_parallel or DEFAULT_PARALLEL
            per_slot = kv_bytes_per_token(model) * key.num_ctx
            weights = model.model_path.stat().st_size if model.model_path else 0
            budget = int(_available_memory() * 0.8) - weights
            while want > 1 and per_slot * want > budget:
                want -= 1
        return max(1, want)

    async def _load(self, model: Model, key: RunnerKey) -> Loaded:
        from pollama.runner.client import RunnerError, RunnerProcess

        if model.model_path is None:
            raise BadRequest(f"model '{model.name.display}' has no model layer")
        parallel = self.choose_parallel(model, key)
        size = model.model_path.stat().st_size + kv_bytes_per_token(model) * key.num_ctx * parallel
        available = _available_memory("MemAvailable", "SwapFree")
        if size > available:  # the runner would die allocating it (Ollama's check and words)
            raise APIError(f"model requires more system memory ({_human_bytes(size)}) than is available "
                           f"({_human_bytes(available)})")
        log.info("loading %s (ctx %d x %d slots, batch %d, threads %d)", model.name.display, key.num_ctx,
                 parallel, key.num_batch, key.num_thread)
        try:
            runner = await RunnerProcess.start(
                model.model_path, ctx=key.num_ctx, parallel=parallel, batch=key.num_batch,
                threads=key.num_thread, embedding=key.embedding, loras=list(model.adapters),
                flush_interval=self.cfg.stream_interval, timeout=self.cfg.load_timeout,
            )
        except RunnerError as e:
            raise APIError(f"llama runner process has terminated: {e}", 500) from None
        if self.closed:  # shut down while this runner was loading
            await runner.stop()
            raise APIError(SHUTTING_DOWN, 503)
        loaded = Loaded(model=model, key=key, runner=runner, parallel=parallel, size=size)
        self.loaded[model.name.key()] = loaded
        return loaded

    async def _unload(self, loaded: Loaded, reason: str | None = None) -> None:
        if self.loaded.get(loaded.name.key()) is loaded:
            del self.loaded[loaded.name.key()]
        if loaded.timer is not None:
            loaded.timer.cancel()
        loaded.idle.set()
        await loaded.runner.stop(reason=reason)
        log.info("unloaded %s", loaded.name.display)

    async def _unload_locked(self, loaded: Loaded) -> None:
        async with self.lock:
            if loaded.active == 0:
                await self._unload(loaded)

    async def unload_name(self, name: Name) -> bool:
        """Unload now if idle, else as soon as its requests finish (keep_alive 0)."""
        loaded = self.loaded.get(name.key())
        if loaded is None:
            return False
        if loaded.active == 0:
            await self._unload_locked(loaded)
        else:
            loaded.closing = True
        return True

    async def shutdown(self) -> None:
        """Stop every runner at once: requests in flight end with an error, waiting ones are refused."""
        self.closed = True
        await asyncio.gather(*(self._unload(lo, SHUTTING_DOWN) for lo in list(self.loaded.values())))

    def running(self) -> list[Loaded]:
        return sorted(self.loaded.values(), key=lambda lo: lo.name.display)
