"""The scheduler in this process, over real runners of tiny models: shutdown leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
from fixtures.tiny_gguf import make_tiny_llama
from load_gate import LoadGate
from procinfo import children

from pollama.api.errors import APIError
from pollama.config import settings
from pollama.sched import Scheduler
from pollama.store import MEDIA, Layer, Manifest, Model, Store, parse_name


def model_of(store: Store, name: str, gguf: Path) -> Model:
    """A model of one layer, the GGUF's blob in `store`."""
    digest, size = store.import_file(gguf)
    layer = Layer(MEDIA["model"], digest, size)
    return Model(name=parse_name(name), manifest=Manifest(layer, [layer]), digest=digest, config={},
                 modified_at=dt.datetime.now(dt.UTC), model_path=store.blob_path(digest), model_digest=digest)


def runner_of(blob: str) -> bool:
    """Whether a runner for this blob is one of this process's children."""
    for pid in children(os.getpid()):
        with contextlib.suppress(OSError):  # it may have just exited
            if blob in Path(f"/proc/{pid}/cmdline").read_text():
                return True
    return False


async def until(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


def test_shutdown_leaves_no_task_and_no_runner_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny, slow = make_tiny_llama(tmp_path / "tiny.gguf"), make_tiny_llama(tmp_path / "slow.gguf", seed=1)
    gate = LoadGate(tmp_path / "gate", slow)
    for key, value in gate.env().items():
        monkeypatch.setenv(key, value)
    cfg = dataclasses.replace(settings(), models=tmp_path / "models", num_parallel=1, max_loaded_models=4)
    store = Store(cfg.models)
    sched = Scheduler(store, cfg)
    kept, brief, busy = (model_of(store, name, tiny) for name in ("kept", "brief", "busy"))

    others = children(os.getpid())  # not the scheduler's (servers of other tests' fixtures)

    async def scenario() -> None:
        async with sched.use(kept, {}, "10m"):  # idle afterwards: its keep_alive timer runs
            pass
        async with sched.use(brief, {}, "0.2s"):  # unloads soon after
            pass
        in_flight = sched.use(busy, {}, "0.2s")
        await in_flight.__aenter__()
        load = asyncio.create_task(sched.acquire(model_of(store, "slow", slow), {}, 600.0, False))
        await until(lambda: runner_of(gate.blob))
        await sched.shutdown()
        with pytest.raises(APIError) as refused:
            await asyncio.wait_for(load, 5)  # the load in progress is refused at once
        assert (refused.value.status, refused.value.message) == (503, "server is shutting down")
        await in_flight.__aexit__(None, None, None)  # a request that outlived the shutdown ends
        assert asyncio.all_tasks() == {asyncio.current_task()}
        await asyncio.sleep(0.5)  # past every keep_alive above: nothing wakes up
        assert asyncio.all_tasks() == {asyncio.current_task()}
        assert children(os.getpid()) == others and sched.running() == []

    try:
        asyncio.run(scenario())
    finally:
        gate.open()
