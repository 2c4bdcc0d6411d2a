"""Each decode batch lists its sequences in order, whatever order their requests arrived in (llama.cpp
decodes a batch whose sequences are out of order much more slowly: see bench/bench_engine.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import llama_cpp as lc
import pytest

from pollama.runner import engine as engine_mod
from pollama.runner.engine import Completion, Engine
from pollama.runner.llama import ContextConfig, Model, make_context, setup_logging
from pollama.runner.sampling import Sampler, parse_options


class ListSink:
    def __init__(self) -> None:
        self.closed = False
        self.lines: list[bytes] = []
        self.done = threading.Event()

    def send(self, data: bytes) -> None:
        self.lines.append(data)

    def finish(self) -> None:
        self.done.set()


def test_rows_are_in_sequence_order(tiny_llama: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup_logging(False)
    model = Model(tiny_llama)
    ctx = make_context(model, ContextConfig(256, 4, 64, 1))
    engine = Engine(model, ctx, n_ctx=256, parallel=4, n_batch=64)
    batches: list[list[int]] = []
    real_decode = lc.llama_decode

    def recording_decode(c: Any, batch: Any) -> int:
        batches.append([batch.seq_id[i][0] for i in range(batch.n_tokens)])
        return real_decode(c, batch)

    monkeypatch.setattr(engine_mod.lc, "llama_decode", recording_decode)
    opts = parse_options({"temperature": 0, "num_predict": 6})

    def request(prompt: str) -> ListSink:
        sink = ListSink()
        engine.submit(Completion(tokens=model.tokenize(prompt), opts=opts, limit=6, sink=sink,
                                 sampler=Sampler(model.vocab, model.n_vocab, opts, 256)))
        return sink

    loop = threading.Thread(target=engine.run, daemon=True)
    loop.start()
    try:
        # first round fills slots 0..3; the second arrives in another order: each prompt goes back to
        # the slot that caches its prefix, so admission order is 3, 2, 1, 0
        prompts = [f"prompt number {i} about something" for i in range(4)]
        for sink in [request(p) for p in prompts]:
            assert sink.done.wait(60)
        batches.clear()
        sinks = [request(p + " again") for p in reversed(prompts)]
        for sink in sinks:
            assert sink.done.wait(60) and b'"done": true' in sink.lines[-1]
    finally:
        engine.stop()
        loop.join(10)
        lc.llama_free(ctx)
    mixed = [seqs for seqs in batches if len(set(seqs)) > 1]
    assert mixed, "the second round never batched several sequences together"
    assert all(seqs == sorted(seqs) for seqs in batches)
    assert any(len(set(seqs)) == 4 for seqs in mixed)
