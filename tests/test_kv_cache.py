"""OLLAMA_FLASH_ATTENTION and OLLAMA_KV_CACHE_TYPE: how they are read, what each model gets (Ollama's fallbacks),
the KV bytes the scheduler counts, and that llama.cpp makes exactly that cache (real runners on SmolLM2)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from fixtures.tiny_gguf import make_tiny_llama

from pollama.config import settings
from pollama.gguf import GGUFInfo, read_gguf
from pollama.kvcache import KVCache, bytes_per_token, cache_cells, resolve
from pollama.runner.client import RunnerError, RunnerProcess
from pollama.runner.protocol import CompletionRequest, Finished, Piece

# SmolLM2-135M: 30 layers, 3 KV heads of 64 values: 30 * 3 * 64 = 5760 K and as many V values per token
SMOLLM2_F16 = 5760 * 2 * 2
SMOLLM2_Q8_0 = 5760 * 2 * 34 // 32
SMOLLM2_Q4_0 = 5760 * 2 * 18 // 32
MIB = 1 << 20


def llama_info(**kv: object) -> GGUFInfo:
    base: dict[str, object] = {"general.architecture": "llama", "llama.block_count": 2,
                               "llama.embedding_length": 256, "llama.attention.head_count": 4,
                               "llama.attention.head_count_kv": 2}
    return GGUFInfo(kv={**base, **kv})


@pytest.mark.parametrize(("fa", "cache", "want_fa", "want_cache"), [
    (None, None, None, ""),
    ("1", " Q8_0 ", True, "q8_0"),
    ("true", "'q4_0'", True, "q4_0"),
    ("0", "f16", False, "f16"),
    ("False", "", False, ""),
    ("yes", "bogus", True, "bogus"),  # Go's ParseBool cannot read "yes": Ollama counts it as true
])
def test_settings_read_both_variables_as_ollama(monkeypatch: pytest.MonkeyPatch, fa: str | None, cache: str | None,
                                               want_fa: bool | None, want_cache: str) -> None:
    for name, value in (("OLLAMA_FLASH_ATTENTION", fa), ("OLLAMA_KV_CACHE_TYPE", cache)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    cfg = settings()
    assert (cfg.flash_attention, cfg.kv_cache_type) == (want_fa, want_cache)


@pytest.mark.parametrize(("fa", "cache", "want", "warning"), [
    (None, "", KVCache("auto", "f16"), None),
    (None, "f16", KVCache("auto", "f16"), None),
    (True, "q8_0", KVCache("on", "q8_0"), None),
    (True, "q4_0", KVCache("on", "q4_0"), None),
    (False, "", KVCache("off", "f16"), None),
    (None, "q8_0", KVCache("auto", "f16"), "OLLAMA_FLASH_ATTENTION must be enabled to use a quantized"),
    (False, "q4_0", KVCache("off", "f16"), "OLLAMA_FLASH_ATTENTION must be enabled to use a quantized"),
    (None, "q5_1", KVCache("auto", "f16"), "OLLAMA_FLASH_ATTENTION must be enabled to use a quantized"),
    (True, "q5_1", KVCache("on", "f16"), "unsupported OLLAMA_KV_CACHE_TYPE type=q5_1"),
    (True, "f32", KVCache("on", "f16"), "unsupported OLLAMA_KV_CACHE_TYPE type=f32"),
    (None, "bf16", KVCache("auto", "f16"), "unsupported OLLAMA_KV_CACHE_TYPE type=bf16"),
])
def test_resolve_follows_ollamas_llama_runner(caplog: pytest.LogCaptureFixture, fa: bool | None, cache: str,
                                              want: KVCache, warning: str | None) -> None:
    with caplog.at_level(logging.WARNING, "pollama"):
        assert resolve(llama_info(), fa, cache) == want
    warnings = [r.getMessage() for r in caplog.records]
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warning in warnings[0]


@pytest.mark.parametrize("info", [
    llama_info(**{"llama.pooling_type": 1}),  # an embedding model
    GGUFInfo(kv={"general.architecture": "gemma2", "gemma2.embedding_length": 256,
                 "gemma2.attention.head_count": 4}),
    llama_info(**{"llama.attention.key_length": 64, "llama.attention.value_length": 128}),
])
def test_a_model_without_flash_attention_gets_it_off_and_an_f16_cache(caplog: pytest.LogCaptureFixture,
                                                                      info: GGUFInfo) -> None:
    with caplog.at_level(logging.WARNING, "pollama"):
        assert resolve(info, True, "q8_0") == KVCache("off", "f16")
    text = caplog.text
    assert "flash attention enabled but not supported by model" in text
    assert "OLLAMA_FLASH_ATTENTION must be enabled to use a quantized OLLAMA_KV_CACHE_TYPE type=q8_0" in text
    assert resolve(info, None, "") == KVCache("auto", "f16")  # unset: left to llama.cpp, as before


def qwen3_info(**kv: object) -> GGUFInfo:
    base: dict[str, object] = {"general.architecture": "qwen3", "qwen3.block_count": 2,
                               "qwen3.embedding_length": 256, "qwen3.attention.head_count": 4,
                               "qwen3.attention.key_length": 64, "qwen3.attention.value_length": 64}
    return GGUFInfo(kv={**base, **kv})


def test_families_ollama_runs_with_flash_attention_get_it_unless_it_is_set_off(
        caplog: pytest.LogCaptureFixture) -> None:
    """Ollama's GGML.FlashAttention list: unset means on (so a quantized cache needs no other setting)."""
    with caplog.at_level(logging.WARNING, "pollama"):
        assert resolve(qwen3_info(), None, "q8_0") == KVCache("on", "q8_0")
        assert resolve(qwen3_info(), None, "") == KVCache("on", "f16")
        bert = GGUFInfo(kv={"general.architecture": "bert", "bert.pooling_type": 1})
        assert resolve(bert, None, "") == KVCache("auto", "f16")  # on by default, but it cannot: left as it was
    assert caplog.records == []
    assert resolve(qwen3_info(), False, "q4_0") == KVCache("off", "f16")


@pytest.mark.parametrize("n_embd", [96, 128, 384])  # 4 heads of 24, 32 and 96 values
def test_key_heads_not_a_multiple_of_64_keep_f16(caplog: pytest.LogCaptureFixture, n_embd: int) -> None:
    info = llama_info(**{"llama.embedding_length": n_embd})
    with caplog.at_level(logging.WARNING, "pollama"):
        assert resolve(info, True, "q4_0") == KVCache("on", "f16")
    assert "needs key heads of a multiple of 64 values" in caplog.text


def test_bytes_per_token_follow_the_type() -> None:
    info = llama_info()  # 2 layers x 2 KV heads x 64 values, K and V
    assert bytes_per_token(info, "f16") == 2 * 2 * 64 * 2 * 2
    assert bytes_per_token(info, "q8_0") == 2 * 2 * 2 * 34 * 2  # layers x heads x two 32-value blocks, K and V
    assert bytes_per_token(info, "q4_0") == 2 * 2 * 2 * 18 * 2
    assert bytes_per_token(None, "f16") == 0
    assert [cache_cells(n) for n in (1, 256, 257, 4096)] == [256, 256, 512, 4096]


def test_smollm2_bytes_per_token(smollm2: Path) -> None:
    info = read_gguf(smollm2)
    assert [bytes_per_token(info, t) for t in ("f16", "q8_0", "q4_0")] == [SMOLLM2_F16, SMOLLM2_Q8_0, SMOLLM2_Q4_0]


async def _generate(runner: RunnerProcess) -> str:
    req = CompletionRequest(prompt="<|im_start|>user\nName three colors.<|im_end|>\n<|im_start|>assistant\n",
                            options={"temperature": 0, "num_predict": 12})
    replies = [m async for m in runner.completion(req)]
    assert isinstance(replies[-1], Finished) and replies[-1].eval_count > 0
    return "".join(m.content for m in replies if isinstance(m, Piece))


@pytest.mark.parametrize(("kv", "per_token"), [
    (KVCache("auto", "f16"), SMOLLM2_F16),
    (KVCache("off", "f16"), SMOLLM2_F16),
    (KVCache("on", "q8_0"), SMOLLM2_Q8_0),
    (KVCache("on", "q4_0"), SMOLLM2_Q4_0),
])
def test_the_runner_makes_the_cache_it_was_given(smollm2: Path, kv: KVCache, per_token: int) -> None:
    """The runner's ready line says what llama.cpp built: flash attention (auto is on for the CPU), the K and
    V types, and KV bytes equal to the scheduler's estimate (llama.cpp logs them to 0.01 MiB); it generates."""

    async def scenario() -> tuple[dict[str, object], str]:
        runner = await RunnerProcess.start(smollm2, ctx=300, parallel=2, threads=1, flash_attn=kv.flash_attn,
                                           cache_type=kv.type)
        try:
            return runner.info, await _generate(runner)
        finally:
            await runner.stop()

    info, text = asyncio.run(scenario())
    assert info["flash_attn"] == ("off" if kv.flash_attn == "off" else "on")
    assert (info["kv_cache_type_k"], info["kv_cache_type_v"]) == (kv.type, kv.type)
    assert info["kv_cache_bytes"] == pytest.approx(per_token * cache_cells(300) * 2, abs=0.005 * MIB)
    assert any(c.isalpha() for c in text)


def test_llama_cpp_refuses_a_quantized_cache_that_blocks_do_not_divide(tmp_path: Path) -> None:
    """Why resolve() keeps f16 for such heads (1): llama.cpp would fail the load."""
    gguf = make_tiny_llama(tmp_path / "odd.gguf", n_embd=48, n_head=2)  # heads of 24 values
    assert resolve(read_gguf(gguf), True, "q8_0").type == "f16"
    with pytest.raises(RunnerError, match="K cache type q8_0 with block size 32 does not divide"):
        asyncio.run(RunnerProcess.start(gguf, ctx=64, threads=1, flash_attn="on", cache_type="q8_0"))


async def _past_the_context(gguf: Path, cache_type: str) -> Finished:
    """60 tokens generated in a 32-token context (shifted as it fills), greedy."""
    runner = await RunnerProcess.start(gguf, ctx=32, threads=1, flash_attn="on", cache_type=cache_type)
    try:
        replies = [m async for m in runner.completion(CompletionRequest(
            prompt="hello there", options={"temperature": 0, "num_predict": 60}))]
    finally:
        await runner.stop()
    assert isinstance(replies[-1], Finished)
    return replies[-1]


def test_llama_cpp_crashes_shifting_a_quantized_cache_of_96_value_heads(tmp_path: Path) -> None:
    """Why resolve() keeps f16 for key heads that are not a multiple of 64 (2): their first context shift
    kills the runner (ggml-org/llama.cpp PR #25636). If this starts passing, llama.cpp has the fix."""
    gguf = make_tiny_llama(tmp_path / "h96.gguf", n_embd=192, n_head=2)
    assert resolve(read_gguf(gguf), True, "q8_0").type == "f16"
    with pytest.raises(RunnerError, match="unexpectedly stopped"):
        asyncio.run(_past_the_context(gguf, "q8_0"))


@pytest.mark.parametrize("cache_type", ["q8_0", "q4_0"])
def test_a_quantized_cache_of_64_value_heads_shifts(tmp_path: Path, cache_type: str) -> None:
    gguf = make_tiny_llama(tmp_path / "h64.gguf", n_embd=128, n_head=2)
    assert resolve(read_gguf(gguf), True, cache_type).type == cache_type
    done = asyncio.run(_past_the_context(gguf, cache_type))
    assert (done.eval_count, done.done_reason) == (60, "length")
