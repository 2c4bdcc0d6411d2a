"""Which slot a request takes: the longest cached prefix first; within PREFIX_SLACK tokens of it, the
slot that keeps the busy sequences together (llama.cpp attends over every KV stream from the lowest busy
sequence to the highest, so 4 streams spread over 8 slots decode markedly slower than 4 adjacent ones)."""

from __future__ import annotations

import time

from runner_helpers import ListSink, engine_running, submit

from pollama.runner.engine import PREFIX_SLACK, Engine
from pollama.runner.llama import Model

N_CTX = 512
WORDS = ["alpha", "bravo", "charlie", "delta"]  # prompts that share no first token


def busy(engine: Engine) -> set[int]:
    return {s["id"] for s in engine.slot_info() if s["busy"]}


def first_line(sink: ListSink) -> None:
    deadline = time.monotonic() + 30
    while not sink.lines and time.monotonic() < deadline:
        time.sleep(0.001)
    assert sink.lines and not sink.done.is_set(), "the request should still be generating"


def run(engine: Engine, model: Model, prompt: str, n: int = 4) -> dict:
    sink = submit(engine, model, prompt, n)
    assert sink.done.wait(60)
    return sink.lines[-1]


def test_a_new_request_takes_the_free_slot_next_to_the_busy_ones(tiny_model: Model) -> None:
    with engine_running(tiny_model, n_ctx=N_CTX, parallel=4) as engine:
        for word in WORDS:  # slots 0..3 in turn: no prefix in common, the least recently used wins
            run(engine, tiny_model, f"{word} is a word")
        run(engine, tiny_model, "bravo is a word")  # back to slots 1 and 2: least recently used: 0, 3, 1, 2
        run(engine, tiny_model, "charlie is a word")
        long = submit(engine, tiny_model, "echo, a long answer please", 1500)
        first_line(long)
        assert busy(engine) == {0}
        other = submit(engine, tiny_model, "foxtrot, a second question", 200)
        first_line(other)
        assert busy(engine) == {0, 1}  # not slot 3, the least recently used one: that would span 0..3
        long.closed = other.closed = True  # cancels both
        assert long.done.wait(60) and other.done.wait(60)


def test_a_much_longer_cached_prefix_wins_over_keeping_sequences_together(tiny_model: Model) -> None:
    story = "once upon a time there was a lighthouse keeper who kept a very long diary " * 4
    with engine_running(tiny_model, n_ctx=N_CTX, parallel=4) as engine:
        for word in WORDS[:3]:
            run(engine, tiny_model, f"{word} is a word")
        cached = run(engine, tiny_model, story)  # slot 3
        long = submit(engine, tiny_model, "echo, a long answer please", 1500)  # slot 0, least recently used
        first_line(long)
        assert busy(engine) == {0}
        again = submit(engine, tiny_model, story + "and more", 200)
        first_line(again)
        assert busy(engine) == {0, 3}
        long.closed = True
        assert again.done.wait(60) and long.done.wait(60)
    evaluated = again.lines[-1]["prompt_eval_count"]
    assert cached["prompt_eval_count"] > PREFIX_SLACK + evaluated  # only the new tokens were evaluated
