"""Loading failures, the embedding path on a tiny BERT, and one real-model check (SmolLM2)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.tiny_gguf import smollm2_path
from runner_helpers import Loop, collect, greedy

from pollama.runner.client import RunnerError, RunnerProcess


def _runner_cmd(model: Path) -> list[str]:
    return [sys.executable, "-m", "pollama.runner", "--model", str(model), "--ctx", "128", "--threads", "1"]


def _env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": root}


@pytest.mark.parametrize("keep", [100, 400_000, 20_000_000])
def test_truncated_gguf_reports_error_and_exits_1(tmp_path: Path, tiny_llama: Path, keep: int) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(tiny_llama.read_bytes()[:keep])
    proc = subprocess.run(_runner_cmd(bad), capture_output=True, text=True, timeout=60, env=_env())
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    msg = json.loads(lines[0])
    assert msg["status"] == "error" and "error loading model" in msg["error"]


def test_not_a_model_fails_to_start(loop: Loop, tmp_path: Path) -> None:
    bad = tmp_path / "junk.gguf"
    bad.write_text("this is not a gguf file")
    with pytest.raises(RunnerError, match="error loading model"):
        loop.start(bad)
    with pytest.raises(RunnerError, match="not found"):
        loop.start(tmp_path / "missing.gguf")


@pytest.fixture(scope="module")
def bert(loop: Loop, tiny_bert: Path) -> Iterator[RunnerProcess]:
    r = loop.start(tiny_bert, ctx=64, parallel=2, embedding=True)
    yield r
    loop.run(r.stop())


def test_embed_tiny_bert(loop: Loop, bert: RunnerProcess) -> None:
    assert bert.info["n_embd"] == 64 and bert.info["embedding"] is True
    a = loop.run(bert.embed("hello world"))
    assert a.prompt_eval_count == 4  # [CLS] hello world [SEP]
    assert len(a.embedding) == 64 and all(math.isfinite(x) for x in a.embedding)
    assert loop.run(bert.embed("hello world")).embedding == a.embedding
    assert loop.run(bert.embed("goodbye")).embedding != a.embedding


def test_embed_batched_matches_single(loop: Loop, bert: RunnerProcess) -> None:
    texts = ["one", "two words", "three little words", "a b c d e f"]
    singles = [loop.run(bert.embed(t)).embedding for t in texts]

    async def together() -> list[list[float]]:
        return [r.embedding for r in await asyncio.gather(*(bert.embed(t) for t in texts))]

    for got, want in zip(loop.run(together()), singles, strict=True):
        assert max(abs(x - y) for x, y in zip(got, want, strict=True)) < 1e-4


def test_embed_truncation(loop: Loop, bert: RunnerProcess) -> None:
    long = "word " * 100
    assert loop.run(bert.embed(long)).prompt_eval_count == 64
    with pytest.raises(RunnerError, match="input length exceeds the context length"):
        loop.run(bert.embed(long, truncate=False))
    with pytest.raises(RunnerError):
        loop.run(collect(bert, {"prompt": "no completions here", "options": greedy(2)}))


def test_refusals_carry_status_400_and_failures_500(loop: Loop, bert: RunnerProcess) -> None:
    with pytest.raises(RunnerError, match="^the input length exceeds the context length$") as err:
        loop.run(bert.embed("word " * 100, truncate=False))
    assert err.value.status == 400
    with pytest.raises(RunnerError, match="^this runner serves embeddings only$") as err:
        loop.run(collect(bert, {"prompt": "no completions here", "options": greedy(2)}))
    assert err.value.status == 400
    assert RunnerError("model runner has unexpectedly stopped").status == 500


def test_empty_input_is_a_bad_request(loop: Loop, tiny_llama: Path) -> None:
    r = loop.start(tiny_llama, ctx=64, parallel=1, embedding=True)  # no BOS: "" has no tokens at all
    try:
        with pytest.raises(RunnerError, match="^Input content cannot be empty$") as err:
            loop.run(r.embed(""))
        assert err.value.status == 400
        assert len(loop.run(r.embed("x")).embedding) == 64
    finally:
        loop.run(r.stop())


@pytest.mark.parametrize("batch", [10**9, -1, 0])
def test_batch_size_is_bounded_by_what_a_step_holds(loop: Loop, tiny_llama: Path, batch: int) -> None:
    r = loop.start(tiny_llama, ctx=64, parallel=2, batch=batch)
    try:
        text, done, _ = loop.run(collect(r, {"prompt": "a b c d e f g h i j", "options": greedy(4)}))
        assert done.eval_count == 4 and r.alive
    finally:
        loop.run(r.stop())


def test_smollm2_knows_paris(loop: Loop) -> None:
    r = loop.start(smollm2_path(), ctx=256, parallel=1, threads=2)
    try:
        prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
        text, done, _ = loop.run(collect(r, {"prompt": prompt, "options": greedy(16)}))
        assert "Paris" in text
        assert done.done_reason == "stop"  # ended on <|im_end|>, which is not emitted
        assert "<|im_end|>" not in text
    finally:
        loop.run(r.stop())
