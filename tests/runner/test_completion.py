"""The runner process on a tiny random llama: sampling, stops, limits, cancel, prefix cache, batching."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from runner_helpers import Loop, collect, greedy

from pollama.runner.client import RunnerError, RunnerProcess
from pollama.runner.protocol import CompletionRequest, Piece

PROMPTS = ["Once upon a time", "The quick brown fox", "<|im_start|>user\nHi<|im_end|>\n", "1 2 3 4",
           "Lorem ipsum dolor", "def main():"]


@pytest.fixture(scope="module")
def runner(loop: Loop, tiny_llama: Path) -> Iterator[RunnerProcess]:
    r = loop.start(tiny_llama, ctx=512, parallel=4, batch=32)
    yield r
    loop.run(r.stop())


def test_ready_info_and_tokens(loop: Loop, runner: RunnerProcess) -> None:
    assert runner.alive and runner.pid > 0
    assert runner.info["vocab_size"] == 49152 and runner.info["n_embd"] == 64
    assert runner.info["parallel"] == 4 and runner.info["n_ctx_train"] == 2048
    toks = loop.run(runner.tokenize("<|im_start|>user\nHello"))
    assert toks[0] == 1  # <|im_start|> parsed as the special token
    assert loop.run(runner.detokenize(toks)) == "<|im_start|>user\nHello"
    assert loop.run(runner.tokenize("<|im_start|>", special=False))[0] != 1


def test_greedy_is_deterministic(loop: Loop, runner: RunnerProcess) -> None:
    a, done_a, _ = loop.run(collect(runner, {"prompt": PROMPTS[0], "options": greedy(30)}))
    b, done_b, _ = loop.run(collect(runner, {"prompt": PROMPTS[0], "options": greedy(30)}))
    assert a and a == b
    assert done_a.context == done_b.context
    assert done_a.done_reason == "length" and done_a.eval_count == 30
    assert done_a.eval_duration > 0 and done_a.prompt_eval_duration > 0


def test_seed_reproducibility(loop: Loop, runner: RunnerProcess) -> None:
    def sample(seed: int) -> str:
        opts = {"seed": seed, "temperature": 1.5, "top_k": 0, "top_p": 1.0, "num_predict": 40}
        return loop.run(collect(runner, {"prompt": PROMPTS[1], "options": opts}))[0]

    first = sample(42)
    assert sample(42) == first
    assert sample(43) != first


def test_stop_string_spanning_tokens(loop: Loop, runner: RunnerProcess) -> None:
    _, _, lines = loop.run(collect(runner, {"prompt": PROMPTS[3], "options": greedy(30)}))
    pieces = [m.content for m in lines if m.content]
    full = "".join(pieces)
    # a stop string made of the end of piece k and the start of piece k+1
    k = next(i for i in range(3, len(pieces) - 1) if len(pieces[i]) >= 2 and len(pieces[i + 1]) >= 2)
    stop = pieces[k][-2:] + pieces[k + 1][:2]
    text, done, lines = loop.run(collect(runner, {"prompt": PROMPTS[3], "options": greedy(30, stop=[stop])}))
    assert text == full[: full.index(stop)]
    assert stop not in text and done.done_reason == "stop"
    assert "".join(m.content for m in lines) == text  # nothing past the stop was ever sent


def test_num_predict_length(loop: Loop, runner: RunnerProcess) -> None:
    prompt = loop.run(runner.tokenize(PROMPTS[2]))
    _, done, lines = loop.run(collect(runner, {"prompt": PROMPTS[2], "options": greedy(7)}))
    assert done.done_reason == "length" and done.eval_count == 7
    assert done.context[: len(prompt)] == prompt and len(done.context) == len(prompt) + 7
    assert sum(bool(m.content) for m in lines) <= 7


def test_prefix_reuse_counts_only_new_tokens(loop: Loop, runner: RunnerProcess) -> None:
    base = loop.run(runner.tokenize("A long shared system prompt that a chat repeats on every single turn."))
    extra = loop.run(runner.tokenize(" And then a new question"))
    _, first, _ = loop.run(collect(runner, {"tokens": base, "options": greedy(5)}))
    assert first.prompt_eval_count == len(base)
    _, second, _ = loop.run(collect(runner, {"tokens": base + extra, "options": greedy(5)}))
    assert second.prompt_eval_count == len(extra)
    # the next chat turn: the previous context plus new tokens evaluates only the tail
    _, third, _ = loop.run(collect(runner, {"tokens": second.context + extra, "options": greedy(5)}))
    assert third.prompt_eval_count == len(extra) + 1  # + the last sampled token, never decoded


def test_cancel_on_disconnect_frees_slot(loop: Loop, runner: RunnerProcess) -> None:
    async def start_and_drop() -> None:
        stream = runner.completion(CompletionRequest(prompt=PROMPTS[4], options={"num_predict": 100000}))
        got = 0
        async for msg in stream:
            got += isinstance(msg, Piece) and bool(msg.content)
            if got >= 3:
                break
        await stream.aclose()

    async def scenario() -> float:
        await asyncio.gather(*(start_and_drop() for _ in range(4)))  # occupy, then abandon, every slot
        t0 = time.perf_counter()
        deadline = t0 + 5
        while time.perf_counter() < deadline:
            info = await runner.runner_info()
            if not any(s["busy"] for s in info["slots"]):
                break
            await asyncio.sleep(0.02)
        text, done, _ = await collect(runner, {"prompt": PROMPTS[5], "options": greedy(5)})
        assert done.eval_count == 5 and text
        return time.perf_counter() - t0

    assert loop.run(scenario()) < 5


def test_parallel_matches_single_stream(loop: Loop, runner: RunnerProcess) -> None:
    singles = [loop.run(collect(runner, {"prompt": p, "options": greedy(25)}))[0] for p in PROMPTS]

    async def together() -> list[str]:
        results = await asyncio.gather(*(collect(runner, {"prompt": p, "options": greedy(25)}) for p in PROMPTS))
        return [r[0] for r in results]

    assert loop.run(together()) == singles


def test_logprobs_shape(loop: Loop, runner: RunnerProcess) -> None:
    req = {"prompt": PROMPTS[0], "options": greedy(4), "logprobs": True, "top_logprobs": 3}
    _, _, lines = loop.run(collect(runner, req))
    entries = [lp for m in lines for lp in m.logprobs or []]
    assert len(entries) == 4
    for e in entries:
        assert e["logprob"] <= 0 and bytes(e["bytes"]).decode("utf-8", "replace") == e["token"]
        tops = e["top_logprobs"]
        assert len(tops) == 3 and tops[0]["logprob"] >= tops[1]["logprob"] >= tops[2]["logprob"]
        assert tops[0]["token"] == e["token"]  # greedy picks the most likely token (no penalty hit here)


def test_grammar_constrains_output(loop: Loop, runner: RunnerProcess) -> None:
    grammar = 'root ::= "{\\"n\\": " [1-9] [0-9] ", \\"ok\\": " ("true" | "false") "}"'
    import json

    for seed in (1, 2, 3):
        text, done, _ = loop.run(collect(runner, {"prompt": PROMPTS[0], "grammar": grammar,
                                                  "options": {"seed": seed, "num_predict": 40}}))
        obj = json.loads(text)
        assert set(obj) == {"n", "ok"} and 10 <= obj["n"] <= 99
        assert done.done_reason == "stop"


def test_bad_grammar_is_an_error(loop: Loop, runner: RunnerProcess) -> None:
    with pytest.raises(RunnerError, match="grammar"):
        loop.run(collect(runner, {"prompt": "x", "grammar": "root ::= (", "options": greedy(3)}))


def test_grammar_trigger_applies_after_trigger(loop: Loop, runner: RunnerProcess) -> None:
    _, _, lines = loop.run(collect(runner, {"prompt": PROMPTS[1], "options": greedy(20)}))
    pieces = [m.content for m in lines if m.content]
    k = next(i for i in range(2, len(pieces)) if len(pieces[i].strip()) >= 3
             and pieces[i] not in "".join(pieces[:i]))
    trigger = pieces[k]
    grammar = 'root ::= " ANSWER"'
    text, done, _ = loop.run(collect(runner, {"prompt": PROMPTS[1], "options": greedy(40), "grammar": grammar,
                                              "grammar_trigger": trigger}))
    assert text == "".join(pieces[: k + 1]) + " ANSWER"
    assert done.done_reason == "stop"


def test_malformed_requests_keep_runner_serving(loop: Loop, runner: RunnerProcess) -> None:
    async def raw(line: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", runner.port)
        writer.write(line)
        data = await reader.read()
        writer.close()
        return data

    assert b"error" in loop.run(raw(b"this is not json\n"))
    assert b"error" in loop.run(raw(b'{"op": "completion", "prompt": 5}\n'))
    assert b"error" in loop.run(raw(b'{"op": "completion", "prompt": "x", "options": {"top_k": "many"}}\n'))
    assert b"error" in loop.run(raw(b'{"op": "completion", "tokens": [99999999]}\n'))
    with pytest.raises(RunnerError, match="embeddings"):
        loop.run(runner.embed("hello"))
    text, done, _ = loop.run(collect(runner, {"prompt": "still alive?", "options": greedy(3)}))
    assert done.eval_count == 3


# ---- a small context: truncation and context shift -------------------------------------------------
@pytest.fixture(scope="module")
def small(loop: Loop, tiny_llama: Path) -> Iterator[RunnerProcess]:
    r = loop.start(tiny_llama, ctx=64, parallel=1, batch=16)
    yield r
    loop.run(r.stop())


def test_context_shift_past_ctx(loop: Loop, small: RunnerProcess) -> None:
    text, done, _ = loop.run(collect(small, {"prompt": "Shift me", "options": greedy(150, repeat_penalty=1.0)}))
    assert done.done_reason == "length" and done.eval_count == 150
    assert len(done.context) > 64 and text


def test_num_predict_is_bounded_by_ten_contexts(loop: Loop, small: RunnerProcess) -> None:
    opts = {"temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 3, "num_predict": 2000}  # never ends early
    # Ollama: at most 10 x num_ctx tokens, whatever num_predict asks for
    _, done, _ = loop.run(collect(small, {"prompt": "go", "options": opts}))
    assert done.done_reason == "length" and done.eval_count == 640


def test_repeating_one_token_ends_the_generation(loop: Loop, small: RunnerProcess) -> None:
    # a grammar that allows only spaces, without end: every token's text trims to "", the same text over and
    # over; as Ollama, the generation stops when that text would repeat for the 31st time in a row
    _, done, lines = loop.run(collect(small, {"prompt": "go", "grammar": "root ::= [ \\n] root",
                                              "options": greedy(200)}))
    assert done.done_reason == "stop" and done.eval_count == 30
    assert "".join(m.content for m in lines).strip() == ""


def test_prompt_truncation(loop: Loop, small: RunnerProcess) -> None:
    long = [int(t) for t in range(1000, 1100)]
    _, done, _ = loop.run(collect(small, {"tokens": long, "options": greedy(2, num_keep=4)}))
    ctx = done.context[:-2]
    assert len(ctx) == 64 and ctx[:4] == long[:4] and ctx[4:] == long[-60:]
    with pytest.raises(RunnerError, match="input length exceeds the context length"):
        loop.run(collect(small, {"tokens": long, "truncate": False, "options": greedy(2)}))


def test_runner_death_mid_request(loop: Loop, tiny_llama: Path) -> None:
    r = loop.start(tiny_llama, ctx=256, parallel=1)

    async def scenario() -> None:
        stream = r.completion(CompletionRequest(prompt="die", options={"num_predict": 100000}))
        with pytest.raises(RunnerError, match="unexpectedly stopped") as err:
            async for msg in stream:
                if isinstance(msg, Piece) and msg.content:
                    r.proc.kill()
        assert "signal 9" in str(err.value)
        assert not r.alive

    loop.run(scenario())
    loop.run(r.stop())
