"""Speculative decoding inside the batching engine: the output is the plain engine's, token for token.

Greedy and seeded sampling must give the same tokens with n-gram lookup and with a draft model as without
speculation (each emitted token costs one draw of the request's sampler either way), and every feature
that acts per token (limits, stop strings, logprobs, grammars, context shift, cancelling, other sequences
in the batch) must work unchanged. Tiny random models keep this fast: a random llama's greedy output
falls into cycles that n-gram lookup predicts, and a second random llama with the same tokenizer is a
valid (if poor) draft.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import pytest
from fixtures.tiny_gguf import make_tiny_llama
from runner_helpers import ListSink, engine_running

from pollama.grammar import JSON_GRAMMAR
from pollama.runner.engine import Completion, Engine
from pollama.runner.llama import Model, common_prefix
from pollama.runner.sampling import Sampler, parse_options
from pollama.runner.speculate import parse_spec_options

N_CTX = 512
PROMPT = "The story of the little robot begins on a rainy morning, when"


@pytest.fixture(scope="module")
def other_draft(tmp_path_factory: pytest.TempPathFactory) -> Model:
    """Another random llama with the same tokenizer: it proposes tokens the target mostly rejects."""
    return Model(make_tiny_llama(tmp_path_factory.mktemp("draft") / "draft.gguf", seed=1))


def running(model: Model, draft: Model | None = None, *, n_ctx: int = N_CTX, parallel: int = 4,
            n_batch: int = 64) -> AbstractContextManager[Engine]:
    return engine_running(model, n_ctx=n_ctx, parallel=parallel, n_batch=n_batch, draft=draft)


def submit(engine: Engine, model: Model, prompt: str | list[int], *, grammar: str | None = None,
           logprobs: bool = False, **raw: Any) -> tuple[ListSink, Completion]:
    raw = {"temperature": 0, "num_predict": 64, **raw}
    opts = parse_options(raw)
    tokens = model.tokenize(prompt) if isinstance(prompt, str) else prompt
    sampler = Sampler(model.vocab, model.n_vocab, opts, engine.n_ctx, grammar)
    sampler.accept_history(tokens)
    sink = ListSink()
    limit = opts.num_predict if opts.num_predict > 0 else 10 * engine.n_ctx
    req = Completion(tokens=tokens, opts=opts, sampler=sampler, sink=sink, limit=limit, logprobs=logprobs,
                     spec=parse_spec_options(raw, has_draft=engine.drafter is not None))
    engine.submit(req)
    return sink, req


def generate(engine: Engine, model: Model, prompt: str | list[int], **kw: Any) -> dict[str, Any]:
    """The Finished line, with the streamed text as "text" and the logprobs as "logprobs"."""
    sink, _ = submit(engine, model, prompt, **kw)
    assert sink.done.wait(120)
    done = sink.lines[-1]
    assert done.get("done"), sink.lines[-3:]
    return {**done, "text": "".join(sink.content()),
            "logprobs": [lp for line in sink.lines for lp in line.get("logprobs", [])]}


def test_ngram_and_draft_greedy_output_is_the_plain_output(tiny_model: Model, other_draft: Model) -> None:
    with running(tiny_model, other_draft) as engine:
        plain = generate(engine, tiny_model, PROMPT, num_predict=200, speculative="off")
        ngram = generate(engine, tiny_model, PROMPT, num_predict=200, speculative="ngram")
        draft = generate(engine, tiny_model, PROMPT, num_predict=200, speculative="draft", draft_p_min=0)
    assert "draft_tokens" not in plain
    assert ngram["context"] == plain["context"] and ngram["text"] == plain["text"]
    assert draft["context"] == plain["context"]
    assert ngram["eval_count"] == draft["eval_count"] == 200
    assert ngram["draft_tokens"] > 0 and draft["draft_tokens"] > 0
    assert draft["draft_accepted_tokens"] < draft["draft_tokens"] / 2  # a poor draft, backing off


def test_a_model_drafting_for_itself_is_always_right(tiny_model: Model) -> None:
    with running(tiny_model, tiny_model) as engine:
        plain = generate(engine, tiny_model, PROMPT, num_predict=120, speculative="off")
        draft = generate(engine, tiny_model, PROMPT, num_predict=120, draft_p_min=0)  # draft is the default
    assert draft["context"] == plain["context"]
    assert draft["draft_accepted_tokens"] == draft["draft_tokens"] > 100


def test_seeded_sampling_gives_the_same_tokens(tiny_model: Model) -> None:
    # the draft's greedy proposals are accepted only where the seeded sample equals them
    sampling = {"temperature": 0.9, "top_k": 40, "top_p": 0.95, "seed": 11, "num_predict": 150}
    with running(tiny_model, tiny_model) as engine:
        plain = generate(engine, tiny_model, PROMPT, speculative="off", **sampling)
        draft = generate(engine, tiny_model, PROMPT, draft_p_min=0, **sampling)
        ngram = generate(engine, tiny_model, PROMPT, speculative="ngram", **sampling)
    assert draft["context"] == ngram["context"] == plain["context"]
    assert 0 < draft["draft_accepted_tokens"] < draft["draft_tokens"]


def test_limits_stop_strings_and_logprobs_hold(tiny_model: Model) -> None:
    with running(tiny_model, tiny_model) as engine:  # self-drafting: runs of accepted tokens cross every limit
        plain = generate(engine, tiny_model, PROMPT, num_predict=90, logprobs=True, speculative="off")
        spec = generate(engine, tiny_model, PROMPT, num_predict=90, logprobs=True, draft_p_min=0)
        assert spec["eval_count"] == 90 and spec["done_reason"] == "length"
        assert [lp["token"] for lp in spec["logprobs"]] == [lp["token"] for lp in plain["logprobs"]]
        assert len(spec["logprobs"]) == 90
        for a, b in zip(spec["logprobs"], plain["logprobs"], strict=True):
            assert a["logprob"] == pytest.approx(b["logprob"], abs=1e-3)
        stop = plain["text"][60:66]  # a string from the middle of the output, likely inside a draft
        cut_plain = generate(engine, tiny_model, PROMPT, num_predict=90, stop=[stop], speculative="off")
        cut_spec = generate(engine, tiny_model, PROMPT, num_predict=90, stop=[stop], draft_p_min=0)
        for n in (1, 2, 7, 9):  # limits inside the first drafts
            assert generate(engine, tiny_model, PROMPT, num_predict=n, draft_p_min=0)["eval_count"] == n
    assert spec["draft_accepted_tokens"] == spec["draft_tokens"] > 60
    assert cut_spec["text"] == cut_plain["text"] == plain["text"][:plain["text"].index(stop)]
    assert cut_spec["done_reason"] == "stop" and cut_spec["stop_sequence"] == stop


@pytest.mark.parametrize("self_draft", [True, False], ids=["self-draft", "other-draft"])
def test_a_grammar_constrains_speculated_tokens(tiny_model: Model, other_draft: Model, self_draft: bool) -> None:
    # the draft proposes without the grammar: the target's grammar-constrained sampling rejects what breaks it
    with running(tiny_model, tiny_model if self_draft else other_draft) as engine:
        plain = generate(engine, tiny_model, PROMPT, grammar=JSON_GRAMMAR, num_predict=80, speculative="off")
        draft = generate(engine, tiny_model, PROMPT, grammar=JSON_GRAMMAR, num_predict=80, draft_p_min=0)
        ngram = generate(engine, tiny_model, PROMPT, grammar=JSON_GRAMMAR, num_predict=80, speculative="ngram")
    assert plain["text"].lstrip().startswith("{")
    assert ngram["text"] == draft["text"] == plain["text"]
    assert draft["draft_tokens"] > 0


def test_context_shift_under_speculation(tiny_model: Model) -> None:
    with running(tiny_model, tiny_model, n_ctx=96, parallel=2, n_batch=32) as engine:
        plain = generate(engine, tiny_model, PROMPT, num_predict=300, speculative="off")
        ngram = generate(engine, tiny_model, PROMPT, num_predict=300, speculative="ngram")
        draft = generate(engine, tiny_model, PROMPT, num_predict=300, speculative="draft", draft_p_min=0)
    assert plain["eval_count"] == 300  # the context (96) shifted several times
    assert ngram["text"] == draft["text"] == plain["text"]
    assert draft["draft_accepted_tokens"] > 200


def test_four_sequences_two_of_them_speculating(tiny_model: Model) -> None:
    # (n-gram lookup finds little to propose in random text: the server test mixes it on SmolLM2)
    prompts = [PROMPT, "Once upon a time", "def fibonacci(n):", "Dear diary, today"]
    modes = ["draft", "off", "draft", "off"]
    with running(tiny_model, tiny_model) as engine:
        alone = [generate(engine, tiny_model, p, num_predict=100, speculative="off")["text"] for p in prompts]
        sinks = [submit(engine, tiny_model, p, num_predict=100, speculative=m, draft_p_min=0)[0]
                 for p, m in zip(prompts, modes, strict=True)]
        for sink in sinks:
            assert sink.done.wait(120)
    assert ["".join(s.content()) for s in sinks] == alone
    assert [("draft_tokens" in s.lines[-1]) for s in sinks] == [True, False, True, False]


def test_a_cancelled_speculating_request_leaves_a_clean_slot(tiny_model: Model, other_draft: Model) -> None:
    with running(tiny_model, other_draft, parallel=1) as engine:
        plain = generate(engine, tiny_model, PROMPT, num_predict=150, speculative="off")
        for mode in ("draft", "ngram"):
            sink, req = submit(engine, tiny_model, PROMPT + " and then", num_predict=400, speculative=mode,
                               draft_p_min=0)
            for _ in range(400):  # until it has produced something
                if sink.lines:
                    break
                sink.done.wait(0.05)
            req.cancelled = True
            assert sink.done.wait(30)
            again = generate(engine, tiny_model, PROMPT, num_predict=150, speculative=mode, draft_p_min=0)
            assert again["context"] == plain["context"], mode
        assert all(not s["busy"] for s in engine.slot_info())


def test_a_follow_up_turn_feeds_the_draft_only_its_new_tokens(tiny_model: Model, other_draft: Model) -> None:
    # the draft's sequence keeps what it has evaluated: the next turn (the whole conversation again) is
    # evaluated in the draft only from where the two part
    with running(tiny_model, other_draft, parallel=1) as engine:
        first = generate(engine, tiny_model, PROMPT, num_predict=40, speculative="draft", draft_p_min=0)
        assert engine.drafter is not None
        held = common_prefix(engine.drafter.tokens[0], first["context"])
        assert held >= len(tiny_model.tokenize(PROMPT))
        follow = first["context"] + tiny_model.tokenize(" More.", add_special=False)
        fed: list[int] = []
        real_feed = engine.drafter._feed

        def counting_feed(seq: int, tokens: list[int]) -> bool:
            fed.append(len(tokens))
            return real_feed(seq, tokens)

        engine.drafter._feed = counting_feed  # type: ignore[method-assign]
        generate(engine, tiny_model, follow, num_predict=5, speculative="draft", draft_p_min=0)
    assert fed and fed[0] <= len(follow) + 1 - held < len(follow) // 2
