"""The sampler's top-(k + last_n) cut before the penalties stage never changes which token is drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_cpp as lc
import pytest

from pollama.runner.llama import ContextConfig, Model, make_context, setup_logging
from pollama.runner.sampling import Sampler, parse_options


@pytest.fixture(scope="module")
def decoded(tiny_llama: Path) -> Iterator[tuple[Model, Any, list[int]]]:
    """A context whose last logits row (index n - 1) is ready, and the prompt tokens as history."""
    setup_logging(False)
    model = Model(tiny_llama)
    ctx = make_context(model, ContextConfig(256, 1, 64, 1))
    toks = model.tokenize("the the the quick quick brown fox jumps over the lazy dog dog dog")
    batch = lc.llama_batch_init(64, 0, 1)
    for i, t in enumerate(toks):
        batch.token[i], batch.pos[i], batch.logits[i] = t, i, int(i == len(toks) - 1)
        batch.n_seq_id[i], batch.seq_id[i][0] = 1, 0
    batch.n_tokens = len(toks)
    assert lc.llama_decode(ctx, batch) == 0
    yield model, ctx, toks
    lc.llama_batch_free(batch)
    lc.llama_free(ctx)


def draw(decoded: tuple[Model, Any, list[int]], options: dict[str, Any], prefilter: bool,
         history: list[int] | None = None) -> int:
    model, ctx, toks = decoded
    sampler = Sampler(model.vocab, model.n_vocab, parse_options(options), 256, prefilter=prefilter)
    try:
        sampler.accept_history(toks if history is None else history)
        return int(lc.llama_sampler_sample(sampler.ptr, ctx, len(toks) - 1))
    finally:
        sampler.close()


@pytest.mark.parametrize("options", [
    {"temperature": 0, "repeat_penalty": 5.0},
    {"temperature": 0, "repeat_penalty": 1.3, "presence_penalty": 2.0, "frequency_penalty": 1.0},
    {"temperature": 1.5, "top_k": 3, "repeat_penalty": 10.0, "repeat_last_n": 8},
    {"temperature": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.05, "repeat_penalty": 1.1},
    {"temperature": 2.0, "top_k": 1000, "typical_p": 0.7, "presence_penalty": 3.0},
])
def test_prefilter_draws_the_same_token(decoded: tuple[Model, Any, list[int]], options: dict[str, Any]) -> None:
    drawn = set()
    for seed in range(12):
        opts = {**options, "seed": seed}
        with_cut = draw(decoded, opts, prefilter=True)
        assert with_cut == draw(decoded, opts, prefilter=False), opts
        drawn.add(with_cut)
    if options["temperature"] == 0:
        assert len(drawn) == 1


def test_penalised_history_is_never_drawn_greedily(decoded: tuple[Model, Any, list[int]]) -> None:
    _, _, toks = decoded
    free = draw(decoded, {"temperature": 0, "repeat_penalty": 1.0}, prefilter=True)
    opts = {"temperature": 0, "repeat_penalty": 1.0, "presence_penalty": 1e6, "repeat_last_n": -1}
    history = [free, *toks]
    second = draw(decoded, opts, prefilter=True, history=history)
    assert second not in history and second == draw(decoded, opts, prefilter=False, history=history)


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def test_a_penalty_window_past_the_context_is_the_context(decoded: tuple[Model, Any, list[int]]) -> None:
    # repeat_last_n 10**9 once sized llama.cpp's penalty ring buffer to 4 GB (18 s for a 2-token request)
    before = _peak_rss_kib()
    huge = draw(decoded, {"temperature": 0, "repeat_penalty": 3.0, "repeat_last_n": 10**9}, prefilter=False)
    assert _peak_rss_kib() - before < 64 << 10
    assert huge == draw(decoded, {"temperature": 0, "repeat_penalty": 3.0, "repeat_last_n": -1}, prefilter=False)
