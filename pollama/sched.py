"""Which models are loaded: load on first use, keep_alive timers, queue limit, eviction, reloads.

One runner process per loaded model (pollama.runner). A request `acquire`s a runner, which loads it
if needed (or reloads it when num_ctx/num_batch/num_thread differ), and `release`s it when done;
the last release arms the keep_alive timer.

No lock is held while anything is awaited: each decision is taken at once on the scheduler's state (it
lives on one event loop), and a request that cannot have its runner yet waits outside it, either
- for the load in progress of its model (a `Loading`): every request for that model and runner key
  awaits the one load, which stops if all of them leave; or
- for room (`_wake` is called whenever a runner goes idle, a load ends or a runner has exited), after
  which it decides again.
A load starts while no unloaded runner is still exiting (its memory is not free yet) and fewer than
OLLAMA_MAX_LOADED_MODELS runners are loaded or loading; otherwise the idle runner expiring first is
unloaded to make room. Loads run one at a time, as Ollama's do, so that the memory check sees what the
previous load took. A request for a loaded model waits for none of this. Every task the scheduler
starts (loads, unloads) is kept in `tasks`, and `shutdown` cancels them.

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
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pollama.api.duration import FOREVER, parse_duration
from pollama.api.errors import APIError, BadRequest, ServerBusy
from pollama.config import Settings
from pollama.kvcache import KVCache, bytes_per_token, cache_cells, resolve
from pollama.metrics import Metrics
from pollama.runner.client import RunnerError, RunnerProcess
from pollama.runner.protocol import Runner
from pollama.store import Model, Store
from pollama.store.model import gguf_info
from pollama.store.names import Name
from pollama.store.split import runner_files

__all__ = ["Scheduler", "Loaded", "Loading", "RunnerKey"]

log = logging.getLogger("pollama")
DEFAULT_PARALLEL = 4
DEFAULT_BATCH = 512
SHUTTING_DOWN = "server is shutting down"
MIN_CTX = 16
T = TypeVar("T")


@dataclass(frozen=True)
class RunnerKey:
    """What a loaded runner was started with; a request needing other values forces a reload."""

    num_ctx: int
    num_batch: int
    num_thread: int
    embedding: bool


@dataclass(eq=False)
class Loaded:
    model: Model
    key: RunnerKey
    runner: Runner  # a RunnerProcess (pollama.runner.protocol.Runner: what the server needs of it)
    parallel: int
    size: int
    active: int = 0
    keep_alive: float = 300.0
    expires_at: float = 0.0  # wall clock; 0 while in use
    timer: asyncio.TimerHandle | None = None
    closing: bool = False  # unload once the requests in flight finish
    devices: list[dict[str, Any]] = field(default_factory=list)  # where its layers are: device, layers

    @property
    def name(self) -> Name:
        return self.model.name

    def serves(self, model: Model, key: RunnerKey) -> bool:
        return self.runner.alive and not self.closing and self.key == key and self.model.digest == model.digest


@dataclass(eq=False)
class Loading:
    """A load in progress: the requests that want this model with this key await `task` together."""

    model: Model
    key: RunnerKey
    keep_alive: float
    task: asyncio.Task[Loaded] = field(init=False)
    waiters: int = 0

    def serves(self, model: Model, key: RunnerKey) -> bool:
        return self.key == key and self.model.digest == model.digest


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


class Scheduler:
    def __init__(self, store: Store, cfg: Settings, metrics: Metrics | None = None) -> None:
        self.store = store
        self.cfg = cfg
        self.metrics = metrics or Metrics()
        self.loaded: dict[tuple[str, ...], Loaded] = {}
        self.loading: dict[tuple[str, ...], Loading] = {}
        self.stopping: set[Loaded] = set()  # unloaded, their runner not yet exited
        self.tasks: set[asyncio.Task[Any]] = set()  # the loads and unloads in progress
        self.pending = 0  # requests in `acquire`
        self.closed = False  # shutting down: nothing loads any more
        self._room = asyncio.Event()  # set (and replaced) by `_wake`
        self._load_turn = asyncio.Lock()  # one load at a time
        self.default_keep_alive = self._keep_alive(cfg.keep_alive, 300.0)
        # an RPC server serves one runner at a time: with OLLAMA_RPC_SERVERS one model is loaded by default
        self.max_loaded = cfg.max_loaded_models if cfg.max_loaded_models > 0 else 1 if cfg.rpc_servers else 3
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
        """A runner for this request, held until `release`, and the seconds it waited for a load (0 if none).
        Cancelling it (the client left) leaves nothing behind."""
        key = self.runner_key(model, options, embedding)
        if self.waiting() >= self.cfg.max_queue:
            self.metrics.rejected.inc()
            raise ServerBusy()
        self.pending += 1
        try:
            return await self._acquire(model, key, keep_alive)
        finally:
            self.pending -= 1

    def waiting(self) -> int:
        """Requests waiting for a load, for room, or for a free slot of their runner."""
        return self.pending + sum(max(0, lo.active - lo.parallel) for lo in self.loaded.values())

    async def _acquire(self, model: Model, key: RunnerKey, keep_alive: float) -> tuple[Loaded, float]:
        t0 = time.perf_counter()
        while True:
            if self.closed:
                raise APIError(SHUTTING_DOWN, 503)
            current = self.loaded.get(model.name.key())
            if current is not None and current.serves(model, key):
                current.active += 1
                self._hold(current, keep_alive)
                return current, 0.0
            loading = self._loading_for(model, key, keep_alive)
            if loading is not None:
                return await self._join(loading, keep_alive), time.perf_counter() - t0
            await self._room.wait()

    def _loading_for(self, model: Model, key: RunnerKey, keep_alive: float) -> Loading | None:
        """The load this request can wait for: the one in progress for it, or one started now if there is
        room. None: wait for room (another runner of this model is retired to make it)."""
        name = model.name.key()
        loading = self.loading.get(name)
        if loading is not None:
            return loading if loading.serves(model, key) else None
        current = self.loaded.get(name)
        if current is not None:  # started with another key, another version of the model, or dead
            self._retire(current)
            return None
        if not self._has_room():
            return None
        loading = Loading(model, key, keep_alive)
        loading.task = self._spawn(self._load(loading))
        self.loading[name] = loading
        return loading

    def _retire(self, loaded: Loaded) -> None:
        """Unload a runner that cannot serve what comes next: now if idle or dead, else once it is idle."""
        if loaded.active == 0 or not loaded.runner.alive:
            self._unload_soon(loaded)
        else:
            loaded.closing = True

    def _has_room(self) -> bool:
        """Whether a load may start now; if not, the idle runner expiring first makes room (one at a time)."""
        if self.stopping:
            return False
        if len(self.loaded) + len(self.loading) < self.max_loaded:
            return True
        idle = [lo for lo in self.loaded.values() if lo.active == 0]
        if idle:
            self._unload_soon(min(idle, key=lambda lo: lo.expires_at))
        return False

    async def _join(self, loading: Loading, keep_alive: float) -> Loaded:
        """Wait for a load with the other requests for it. The loaded runner comes back already held for each
        of them (see `_load`), so that nothing evicts it before they resume."""
        loading.waiters += 1
        try:
            loaded = await asyncio.shield(loading.task)
        except asyncio.CancelledError:
            self._leave(loading)
            if self.closed and loading.task.cancelled():  # shut down before the load began
                raise APIError(SHUTTING_DOWN, 503) from None
            raise
        self._hold(loaded, keep_alive)
        return loaded

    def _leave(self, loading: Loading) -> None:
        """A request waiting for a load left: give back the hold it got, or stop the load if no one else
        waits for it."""
        loading.waiters -= 1
        task = loading.task
        if task.done():
            if not task.cancelled() and task.exception() is None:
                self.release(task.result())
        elif loading.waiters == 0:
            if self.loading.get(loading.model.name.key()) is loading:
                del self.loading[loading.model.name.key()]
            task.cancel()

    def _hold(self, loaded: Loaded, keep_alive: float) -> None:
        loaded.keep_alive = keep_alive
        loaded.expires_at = 0.0
        if loaded.timer is not None:
            loaded.timer.cancel()
            loaded.timer = None

    def release(self, loaded: Loaded) -> None:
        loaded.active -= 1
        if loaded.active > 0 or self.loaded.get(loaded.name.key()) is not loaded:
            return  # still in use, or unloaded already (its runner died, or the server is shutting down)
        if loaded.closing or not loaded.runner.alive:
            self._unload_soon(loaded)
        else:
            self._arm(loaded)
        self._wake()  # idle: it may be evicted to make room

    def _arm(self, loaded: Loaded) -> None:
        if loaded.keep_alive == FOREVER:
            loaded.expires_at = FOREVER
            return
        loaded.expires_at = time.time() + loaded.keep_alive
        loaded.timer = asyncio.get_running_loop().call_later(loaded.keep_alive, self._expire, loaded)

    def _expire(self, loaded: Loaded) -> None:
        loaded.timer = None
        if loaded.active == 0 and self.loaded.get(loaded.name.key()) is loaded:
            self._unload_soon(loaded)

    def _wake(self) -> None:
        """Let every request waiting for room decide again."""
        self._room.set()
        self._room = asyncio.Event()

    def _spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    # ---- load / unload ---------------------------------------------------------------------------
    def kv_cache(self, model: Model) -> KVCache:
        """Flash attention and the KV cache type this model loads with (OLLAMA_FLASH_ATTENTION,
        OLLAMA_KV_CACHE_TYPE; pollama.kvcache)."""
        return resolve(model.info(), self.cfg.flash_attention, self.cfg.kv_cache_type)

    @staticmethod
    def kv_bytes(model: Model, key: RunnerKey, kv: KVCache, parallel: int) -> int:
        """The KV cache of `parallel` sequences of num_ctx tokens, as llama.cpp allocates it."""
        return bytes_per_token(model.info(), kv.type) * cache_cells(key.num_ctx) * parallel

    @staticmethod
    def draft_bytes(path: Path, key: RunnerKey, parallel: int) -> int:
        """A DRAFT model's weights and its f16 KV cache (one sequence per slot, as the target's)."""
        info = gguf_info(path, path.name)
        return path.stat().st_size + bytes_per_token(info, "f16") * cache_cells(key.num_ctx) * parallel

    def choose_parallel(self, model: Model, key: RunnerKey, kv: KVCache) -> int:
        want = self.cfg.num_parallel or DEFAULT_PARALLEL
        if not key.embedding:
            per_slot = self.kv_bytes(model, key, kv, 1)
            weights = model.model_path.stat().st_size if model.model_path else 0
            budget = int(_available_memory() * 0.8) - weights
            while want > 1 and per_slot * want > budget:
                want -= 1
        return max(1, want)

    async def _load(self, loading: Loading) -> Loaded:
        """The task of a load: start the runner (after the load before it), then hold it for every request
        still waiting for it."""
        name = loading.model.name.key()
        try:
            async with self._load_turn:
                loaded = await self._start_runner(loading.model, loading.key)
        except asyncio.CancelledError:
            if self.closed:  # the requests waiting for it are refused, not cancelled
                raise APIError(SHUTTING_DOWN, 503) from None
            raise
        finally:
            if self.loading.get(name) is loading:
                del self.loading[name]
            self._wake()
        loaded.keep_alive = loading.keep_alive
        loaded.active = loading.waiters
        self.loaded[name] = loaded
        if not loaded.active:  # the last request left as the runner became ready (its cancel came too late)
            self._arm(loaded)
        return loaded

    async def _start_runner(self, model: Model, key: RunnerKey) -> Loaded:
        if model.model_path is None:
            raise BadRequest(f"model '{model.name.display}' has no model layer")
        kv = self.kv_cache(model)
        parallel = self.choose_parallel(model, key, kv)
        model_path, projector = await asyncio.to_thread(runner_files, self.store, model, key.embedding)
        size = model_path.stat().st_size + self.kv_bytes(model, key, kv, parallel)
        size += projector.stat().st_size if projector else 0
        if model.draft_path is not None and not key.embedding:
            size += self.draft_bytes(model.draft_path, key, parallel)
        available = _available_memory("MemAvailable", "SwapFree")
        if size > available and not self.cfg.rpc_servers:  # the runner would die allocating it (Ollama's check)
            raise APIError(f"model requires more system memory ({_human_bytes(size)}) than is available "
                           f"({_human_bytes(available)})")
        log.info("loading %s (ctx %d x %d slots, batch %d, threads %d, KV cache %s, flash attention %s)",
                 model.name.display, key.num_ctx, parallel, key.num_batch, key.num_thread, kv.type, kv.flash_attn)
        label, t0 = model.name.display, time.perf_counter()
        try:
            runner = await RunnerProcess.start(
                model_path, ctx=key.num_ctx, parallel=parallel, batch=key.num_batch,
                threads=key.num_thread, embedding=key.embedding, loras=list(model.adapters),
                flush_interval=self.cfg.stream_interval, timeout=self.cfg.load_timeout,
                flash_attn=kv.flash_attn, cache_type=kv.type, projector=projector,
                rpc_servers=self.cfg.rpc_servers, tensor_split=self.cfg.tensor_split,
                draft=None if key.embedding else model.draft_path,
            )
        except RunnerError as e:
            self.metrics.crashes.labels(label).inc()
            raise APIError(f"llama runner process has terminated: {e}", 500) from None
        self.metrics.loads.labels(label).inc()
        self.metrics.load_seconds.labels(label).observe(time.perf_counter() - t0)
        return Loaded(model=model, key=key, runner=runner, parallel=parallel, size=size,
                      devices=list(getattr(runner, "info", {}).get("devices", [])))

    def _unload_soon(self, loaded: Loaded) -> asyncio.Task[None]:
        """Take a runner out of service now and stop it in a task; until it has exited it takes up room."""
        if self.loaded.get(loaded.name.key()) is loaded:
            del self.loaded[loaded.name.key()]
        if loaded.timer is not None:
            loaded.timer.cancel()
            loaded.timer = None
        self.stopping.add(loaded)
        return self._spawn(self._stop(loaded))

    async def _stop(self, loaded: Loaded) -> None:
        crashed = not loaded.runner.alive  # it exited before it was told to
        (self.metrics.crashes if crashed else self.metrics.unloads).labels(loaded.name.display).inc()
        try:
            await loaded.runner.stop()
            log.info("unloaded %s", loaded.name.display)
        finally:
            self.stopping.discard(loaded)
            self._wake()

    async def unload_name(self, name: Name) -> bool:
        """Unload now if idle, else as soon as its requests finish (keep_alive 0)."""
        loaded = self.loaded.get(name.key())
        if loaded is None:
            return False
        if loaded.active == 0:
            await asyncio.wait((self._unload_soon(loaded),))  # its runner has exited (a cancel leaves it be)
        else:
            loaded.closing = True
        return True

    async def shutdown(self) -> None:
        """Stop every runner at once: requests in flight end with an error, waiting ones are refused, loads in
        progress stop, and no task or timer of the scheduler is left."""
        self.closed = True
        self._wake()
        runners = [*self.loaded.values(), *self.stopping]
        self.loaded.clear()
        for lo in runners:
            if lo.timer is not None:
                lo.timer.cancel()
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        stops = (lo.runner.stop(reason=SHUTTING_DOWN) for lo in runners)
        await asyncio.gather(*tasks, *stops, return_exceptions=True)

    def running(self) -> list[Loaded]:
        return sorted(self.loaded.values(), key=lambda lo: lo.name.display)
