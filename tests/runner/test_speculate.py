"""Speculation's pure parts: n-gram lookup, the adaptive budget, option parsing, the draft vocabulary rule."""

from __future__ import annotations

import pytest

from pollama.gguf import GGUFInfo, draft_mismatch
from pollama.runner.speculate import Budget, NgramIndex, SpecOptions, parse_spec_options


def test_ngram_proposes_what_followed_the_latest_earlier_match() -> None:
    idx = NgramIndex([1, 2, 3, 4, 5, 9, 2, 3, 4, 6, 7])
    idx.extend([2, 3, 4])
    assert idx.propose(3) == [6, 7, 2]  # the latest "2 3 4" was followed by 6 7 2 ..., not the first (5 9)


def test_ngram_prefers_the_longest_match_and_needs_two_tokens() -> None:
    idx = NgramIndex([5, 1, 2, 8, 7, 1, 2, 9, 3])
    idx.extend([5, 1, 2])
    assert idx.propose(2) == [8, 7]  # "5 1 2" (3 tokens) beats the later "1 2" -> 9
    assert NgramIndex([1, 2, 1]).propose(4) == []  # one-token suffixes are not looked up
    assert NgramIndex([4, 4, 4]).propose(4) == [4]  # "4 4" at 0..1 was followed by one token so far


def test_ngram_matches_tokens_appended_one_by_one() -> None:
    idx = NgramIndex([7, 8, 9, 10])
    for tok in (3, 7, 8):
        idx.extend([tok])
    assert idx.propose(5) == [9, 10, 3, 7, 8]


def test_ngram_never_proposes_an_image_placeholder() -> None:
    idx = NgramIndex([1, 2, 3, -5, -5, 4, 1, 2])
    assert idx.propose(4) == [3]


def test_budget_grows_on_full_acceptance_and_backs_off_on_rejections() -> None:
    b = Budget(16)
    assert b.allowed() == 4
    b.record(4, 4)
    assert b.allowed() == 8
    b.record(8, 8)
    b.record(16, 16)
    assert b.allowed() == 16  # capped at draft_max
    b.record(16, 3)
    assert b.allowed() == 4  # what was accepted, plus one
    b.record(4, 0)
    assert b.allowed() == 2
    b.record(2, 0)  # a second miss in a row: pause drafting for a few steps
    assert [b.allowed() for _ in range(5)] == [0, 0, 0, 0, 1]
    b.record(0, 0)  # nothing proposed: no change
    assert b.allowed() == 1


def test_spec_options_defaults_and_refusals() -> None:
    assert parse_spec_options({}, has_draft=False) == SpecOptions("off")
    assert parse_spec_options(None, has_draft=True).mode == "draft"
    assert parse_spec_options({"speculative": "ngram", "draft_max": 0}, has_draft=False).mode == "off"
    opts = parse_spec_options({"speculative": "ngram", "draft_max": 8, "draft_min": 2, "draft_p_min": 0.5}, False)
    assert (opts.draft_max, opts.draft_min, opts.draft_p_min) == (8, 2, 0.5)
    for raw, msg in [({"speculative": "fast"}, "must be one of"),
                     ({"speculative": "draft"}, "needs a model with a DRAFT"),
                     ({"draft_max": 65}, "draft_max"), ({"draft_min": 5, "draft_max": 4}, "draft_min"),
                     ({"draft_p_min": 1.5}, "draft_p_min"), ({"draft_max": "8"}, "integer")]:
        with pytest.raises(ValueError, match=msg):
            parse_spec_options(raw, has_draft=False)


def _vocab(tokens: list[str], *, model: str = "gpt2", bos: int = 1, eos: int = 2) -> GGUFInfo:
    return GGUFInfo(kv={"general.architecture": "llama", "tokenizer.ggml.model": model,
                        "tokenizer.ggml.tokens": tokens, "tokenizer.ggml.bos_token_id": bos,
                        "tokenizer.ggml.eos_token_id": eos})


def test_draft_vocabulary_rule() -> None:
    words = [f"t{i}" for i in range(300)]
    target = _vocab(words)
    assert draft_mismatch(target, _vocab(words)) is None
    assert draft_mismatch(target, _vocab(words[:200])) is None  # within llama-server's 128 tokens
    assert draft_mismatch(target, _vocab(["x"] * 5 + words[5:])) is None  # ids below 5 are not compared
    assert "tokenizer type" in (draft_mismatch(target, _vocab(words, model="llama")) or "")
    assert "vocabulary has 100 tokens" in (draft_mismatch(target, _vocab(words[:100])) or "")
    assert "EOS" in (draft_mismatch(target, _vocab(words, eos=3)) or "")
    assert "token 7 differs" in (draft_mismatch(target, _vocab(words[:7] + ["other"] + words[8:])) or "")
    bert = _vocab(words)
    bert.kv["general.architecture"] = "bert"
    assert "embedding model" in (draft_mismatch(target, bert) or "")
