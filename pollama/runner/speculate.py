"""Speculative decoding: propose the next few tokens cheaply, verify them in one batch row each.

A slot that speculates puts its sampled token and up to k proposed tokens into the step's batch (with
logits for every row). The target then samples row by row with the request's own sampler chain: the
token sampled at row j is the real next token; while it equals the proposal for row j + 1, that proposal
is already in the KV cache and row j + 1's logits are the distribution after it, so sampling goes on.
At the first mismatch the sampled token is kept (it is decoded in the next step, as without
speculation) and the cache entries of the rejected proposals are removed.

This is the standard acceptance rule for a deterministic proposal (a point mass q on d): accepting d
with probability p(d) and otherwise sampling from p without d is the same as sampling x ~ p and keeping
d iff x == d. Both proposers here are deterministic (n-gram lookup; a draft model's greedy choice), so
the output has exactly the target's distribution, and since each emitted token costs exactly one draw
of the request's sampler, a seeded request gives the same tokens as without speculation.

Proposers: `NgramIndex` (prompt lookup: the tokens that followed the latest earlier occurrence of the
sequence's last n tokens, n from NGRAM_MAX down to NGRAM_MIN) and the draft model (runner/draft.py).
`Budget` adapts k per sequence: it grows while proposals are accepted and backs off after rejections,
so text that does not repeat its context pays almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pollama.api.options import CHOICES, DEFAULT_OPTIONS

__all__ = ["MODES", "SpecOptions", "parse_spec_options", "NgramIndex", "Budget"]

MODES = CHOICES["speculative"]
NGRAM_MAX = 4
NGRAM_MIN = 2
DRAFT_MAX = DEFAULT_OPTIONS["draft_max"]
DRAFT_P_MIN = DEFAULT_OPTIONS["draft_p_min"]


@dataclass(frozen=True, slots=True)
class SpecOptions:
    """llama-server's names: at most `draft_max` tokens a step, none if fewer than `draft_min` are
    proposed; a draft model stops drafting when its top token's probability is below `draft_p_min`."""

    mode: str = "off"
    draft_max: int = DRAFT_MAX
    draft_min: int = 0
    draft_p_min: float = DRAFT_P_MIN


def parse_spec_options(raw: dict[str, Any] | None, has_draft: bool) -> SpecOptions:
    """The request's speculation settings; `speculative` unset means draft when the model has one."""
    raw = raw or {}
    mode = raw.get("speculative")
    if mode is None:
        mode = "draft" if has_draft else "off"
    if mode not in MODES:
        raise ValueError(f"option 'speculative' must be one of {', '.join(MODES)}")
    if mode == "draft" and not has_draft:
        raise ValueError("speculative \"draft\" needs a model with a DRAFT model")
    draft_max = _int(raw, "draft_max", DRAFT_MAX)
    draft_min = _int(raw, "draft_min", 0)
    p_min = raw.get("draft_p_min")
    if p_min is None:
        p_min = DRAFT_P_MIN
    if isinstance(p_min, bool) or not isinstance(p_min, int | float) or not 0.0 <= p_min <= 1.0:
        raise ValueError("option 'draft_p_min' must be between 0 and 1")
    if not 0 <= draft_max <= 64:
        raise ValueError("option 'draft_max' must be between 0 and 64")
    if not 0 <= draft_min <= draft_max:
        raise ValueError("option 'draft_min' must be between 0 and draft_max")
    if draft_max == 0:
        mode = "off"
    return SpecOptions(mode, draft_max, draft_min, float(p_min))


def _int(raw: dict[str, Any], key: str, default: int) -> int:
    v = raw.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, int | float) or (isinstance(v, float) and not v.is_integer()):
        raise ValueError(f"option {key!r} must be an integer")
    return int(v)


class NgramIndex:
    """Where each n-gram (NGRAM_MIN..NGRAM_MAX tokens) of a sequence last occurred, updated as tokens
    are appended; `propose(k)` continues the sequence's current suffix from its latest earlier match."""

    __slots__ = ("tokens", "_last", "_indexed")

    def __init__(self, tokens: list[int]) -> None:
        self.tokens: list[int] = []
        self._last: dict[tuple[int, ...], int] = {}  # n-gram -> position of the token that followed it
        self._indexed = 0  # n-grams ending before this position are in _last
        self.extend(tokens)

    def extend(self, tokens: list[int]) -> None:
        self.tokens.extend(tokens)
        toks, last = self.tokens, self._last
        # an n-gram goes into the index once the token after it is known
        for end in range(self._indexed, len(toks) - 1):
            for n in range(NGRAM_MIN, NGRAM_MAX + 1):
                if end + 1 < n:
                    break
                last[tuple(toks[end + 1 - n:end + 1])] = end + 1
        self._indexed = max(self._indexed, len(toks) - 1)

    def propose(self, k: int) -> list[int]:
        """Up to k tokens; never an image's placeholder (a negative id): the proposal stops before one."""
        toks = self.tokens
        for n in range(NGRAM_MAX, NGRAM_MIN - 1, -1):
            if len(toks) < n:
                continue
            at = self._last.get(tuple(toks[-n:]))
            if at is not None:
                out = toks[at:at + k]
                return next((out[:i] for i, t in enumerate(out) if t < 0), out)
        return []


class Budget:
    """How many tokens to propose next: doubles while every proposal is accepted, halves (down to
    nothing for a while) after a step whose proposals were all rejected."""

    __slots__ = ("k", "cap", "_pause", "_misses")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.k = min(4, cap)
        self._pause = 0
        self._misses = 0

    def allowed(self) -> int:
        if self._pause > 0:
            self._pause -= 1
            return 0
        return self.k

    def record(self, proposed: int, accepted: int) -> None:
        if proposed == 0:
            return
        if accepted == proposed:
            self.k = min(self.cap, self.k * 2)
            self._misses = 0
        elif accepted == 0:
            self.k = max(1, self.k // 2)
            self._misses += 1
            self._pause = min(1 << self._misses, 32) if self._misses >= 2 else 0
        else:
            self.k = max(1, accepted + 1)
            self._misses = 0
