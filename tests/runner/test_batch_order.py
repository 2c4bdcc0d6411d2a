"""Each decode batch lists its sequences in order, whatever order their requests arrived in (llama.cpp
decodes a batch whose sequences are out of order much more slowly: see bench/bench_engine.py)."""

from __future__ import annotations

from typing import Any

import llama_cpp as lc
import pytest
from runner_helpers import engine_running, submit

from pollama.runner import engine as engine_mod
from pollama.runner.llama import Model


def test_rows_are_in_sequence_order(tiny_model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[list[int]] = []
    real_decode = lc.llama_decode

    def recording_decode(c: Any, batch: Any) -> int:
        batches.append([batch.seq_id[i][0] for i in range(batch.n_tokens)])
        return real_decode(c, batch)

    monkeypatch.setattr(engine_mod.lc, "llama_decode", recording_decode)
    with engine_running(tiny_model, n_ctx=256, parallel=4) as engine:
        # first round fills slots 0..3; the second arrives in another order: each prompt goes back to
        # the slot that caches its prefix, so admission order is 3, 2, 1, 0
        prompts = [f"prompt number {i} about something" for i in range(4)]
        for sink in [submit(engine, tiny_model, p, 6) for p in prompts]:
            assert sink.done.wait(60)
        batches.clear()
        sinks = [submit(engine, tiny_model, p + " again", 6) for p in reversed(prompts)]
        for sink in sinks:
            assert sink.done.wait(60) and sink.lines[-1]["done"]
    mixed = [seqs for seqs in batches if len(set(seqs)) > 1]
    assert mixed, "the second round never batched several sequences together"
    assert all(seqs == sorted(seqs) for seqs in batches)
    assert any(len(set(seqs)) == 4 for seqs in mixed)
