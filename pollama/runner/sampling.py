"""Ollama's sampling options and llama.cpp native sampler chains; logprobs from raw logits."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import llama_cpp as lc
import numpy as np

from pollama.api.options import DEFAULT_OPTIONS

__all__ = ["SamplingOptions", "parse_options", "Sampler", "OptionsError", "token_logprobs"]


class OptionsError(ValueError):
    """An option has a value of the wrong type."""


@dataclass
class SamplingOptions:
    """Ollama's generation options with Ollama's defaults (api/options.py's DEFAULT_OPTIONS)."""

    seed: int = DEFAULT_OPTIONS["seed"]
    num_predict: int = DEFAULT_OPTIONS["num_predict"]
    top_k: int = DEFAULT_OPTIONS["top_k"]
    top_p: float = DEFAULT_OPTIONS["top_p"]
    min_p: float = DEFAULT_OPTIONS["min_p"]
    typical_p: float = DEFAULT_OPTIONS["typical_p"]
    repeat_last_n: int = DEFAULT_OPTIONS["repeat_last_n"]
    temperature: float = DEFAULT_OPTIONS["temperature"]
    repeat_penalty: float = DEFAULT_OPTIONS["repeat_penalty"]
    presence_penalty: float = DEFAULT_OPTIONS["presence_penalty"]
    frequency_penalty: float = DEFAULT_OPTIONS["frequency_penalty"]
    stop: list[str] = field(default_factory=list)
    num_keep: int = DEFAULT_OPTIONS["num_keep"]


_INTS = ("seed", "num_predict", "top_k", "repeat_last_n", "num_keep")
_FLOATS = ("top_p", "min_p", "typical_p", "temperature", "repeat_penalty", "presence_penalty",
           "frequency_penalty")


def parse_options(raw: dict[str, Any] | None) -> SamplingOptions:
    """Read the options this runner uses; unknown keys are ignored, None means the default."""
    opts = SamplingOptions()
    if not raw:
        return opts
    if not isinstance(raw, dict):
        raise OptionsError("options must be an object")
    for key in _INTS:
        v = raw.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
            raise OptionsError(f"option {key!r} must be an integer")
        setattr(opts, key, int(v))
    for key in _FLOATS:
        v = raw.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise OptionsError(f"option {key!r} must be a number")
        setattr(opts, key, float(v))
    stop = raw.get("stop")
    if stop is not None:
        if isinstance(stop, str):
            stop = [stop]
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise OptionsError("option 'stop' must be a list of strings")
        opts.stop = [s for s in stop if s]
    return opts


class Sampler:
    """One request's llama.cpp sampler chain: [grammar], penalties, top_k, typical, top_p, min_p, temp, dist.

    Temperature 0 replaces the tail of the chain with greedy selection. Prompt tokens feed only the
    penalties stage (the grammar sees generated tokens only).
    """

    __slots__ = ("ptr", "_penalties", "opts", "_n_vocab", "_history_n")

    def __init__(self, vocab: Any, n_vocab: int, opts: SamplingOptions, n_ctx: int,
                 grammar: str | None = None, *, prefilter: bool = True) -> None:
        self.opts = opts
        self._n_vocab = n_vocab
        self._penalties: Any = None
        params = lc.llama_sampler_chain_default_params()
        params.no_perf = True
        chain = lc.llama_sampler_chain_init(params)
        self.ptr = chain
        index = 0
        if grammar:
            g = lc.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
            if not g:
                self.close()
                raise OptionsError("failed to parse grammar")
            lc.llama_sampler_chain_add(chain, g)
            index += 1
        # -1: the whole context; a longer window would only allocate memory (4 bytes a token) for nothing
        last_n = n_ctx if opts.repeat_last_n < 0 else min(opts.repeat_last_n, n_ctx)
        self._history_n = last_n
        if last_n != 0 and (opts.repeat_penalty != 1.0 or opts.presence_penalty != 0.0
                            or opts.frequency_penalty != 0.0):
            # Penalties scan every candidate. When they can only lower logits, the top k after them lie
            # within the top k + last_n before them, so cutting to that first gives the same result.
            keep = 1 if opts.temperature <= 0.0 else opts.top_k
            lowers = opts.repeat_penalty >= 1.0 and opts.presence_penalty >= 0.0 and opts.frequency_penalty >= 0.0
            if prefilter and lowers and keep > 0 and keep + last_n < n_vocab // 4:
                lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_top_k(keep + last_n))
                index += 1
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_penalties(
                n_vocab, last_n, opts.repeat_penalty or 1.0, opts.frequency_penalty, opts.presence_penalty))
            self._penalties = lc.llama_sampler_chain_get(chain, index)
        if opts.temperature <= 0.0:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_greedy())
            return
        if opts.top_k > 0:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_top_k(opts.top_k))
        if 0.0 < opts.typical_p < 1.0:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_typical(opts.typical_p, 1))
        if 0.0 < opts.top_p < 1.0:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_top_p(opts.top_p, 1))
        if opts.min_p > 0.0:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_min_p(opts.min_p, 1))
        lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_temp(opts.temperature))
        seed = lc.LLAMA_DEFAULT_SEED if opts.seed < 0 else opts.seed & 0xFFFFFFFF
        lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_dist(seed))

    def accept_history(self, tokens: list[int]) -> None:
        """Feed earlier tokens (prompt, or output before a grammar started) to the penalties stage."""
        if self._penalties is None or not tokens:
            return
        start = max(0, len(tokens) - self._history_n) if self._history_n > 0 else 0
        pen = self._penalties
        for t in tokens[start:]:
            if t >= 0:  # an image's placeholders are not tokens
                lc.llama_sampler_accept(pen, t)

    def close(self) -> None:
        if self.ptr:
            lc.llama_sampler_free(self.ptr)
            self.ptr = None


def token_logprobs(logits_ptr: Any, n_vocab: int, token: int, top: int,
                   piece: Any) -> dict[str, Any]:
    """Ollama's logprob entry for `token` from one row of raw logits; `piece(t)` gives a token's bytes."""
    row = np.ctypeslib.as_array(logits_ptr, shape=(n_vocab,)).astype(np.float64)
    mx = float(row.max())
    lse = mx + math.log(float(np.exp(row - mx).sum()))

    def entry(t: int) -> dict[str, Any]:
        b = piece(t)
        return {"token": b.decode("utf-8", "replace"), "logprob": float(row[t]) - lse, "bytes": list(b)}

    out = entry(token)
    if top > 0:
        k = min(top, n_vocab)
        idx = np.argpartition(-row, k - 1)[:k]
        idx = idx[np.argsort(-row[idx], kind="stable")]
        out["top_logprobs"] = [entry(int(t)) for t in idx]
    return out
