"""How the engine thread decodes and sends: every llama_decode on one thread, and reply lines at most
every flush_interval (the first text at once; waiting text before any step that evaluates a prompt)."""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager
from typing import Any

import llama_cpp as lc
import pytest
from runner_helpers import ListSink, engine_running, submit

from pollama.runner import engine as engine_mod
from pollama.runner.engine import Engine
from pollama.runner.llama import Model

N_CTX = 1024


@pytest.fixture()
def model(tiny_model: Model) -> Model:
    return tiny_model


def running(model: Model, flush_interval: float) -> AbstractContextManager[Engine]:
    return engine_running(model, n_ctx=N_CTX, parallel=2, flush_interval=flush_interval)


def generate(model: Model, flush_interval: float, prompt: str, n: int) -> ListSink:
    with running(model, flush_interval) as engine:
        sink = submit(engine, model, prompt, n)
        assert sink.done.wait(60)
    return sink


def test_every_decode_runs_on_the_engine_thread(model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    # With OpenMP each thread that decodes gets its own worker pool; a warm-up on the main thread made
    # every later decode 13% slower. start() must warm up on the thread that then serves requests.
    threads: list[int] = []
    real_decode = lc.llama_decode

    def recording_decode(c: Any, batch: Any) -> int:
        threads.append(threading.get_ident())
        return real_decode(c, batch)

    monkeypatch.setattr(engine_mod.lc, "llama_decode", recording_decode)
    with running(model, 0.0) as engine:
        assert len(threads) == 1  # start() returned after the warm-up decode
        sink = submit(engine, model, "hello there", 5)
        assert sink.done.wait(60) and sink.lines[-1]["done"]
    assert len(threads) > 2
    assert set(threads) == {threads[0]} and threads[0] != threading.get_ident()


def test_interval_zero_sends_a_line_per_token(model: Model) -> None:
    sink = generate(model, 0.0, "count with me", 40)
    done = sink.lines[-1]
    assert done["done"] and done["eval_count"] == 40
    lines = sink.content()
    assert len(lines) >= 30  # a token whose bytes end mid-character waits for the next one


def test_text_is_held_for_the_interval_but_the_first_goes_at_once(model: Model) -> None:
    per_token = generate(model, 0.0, "count with me", 40).content()
    held = generate(model, 3600.0, "count with me", 40)
    lines = held.content()
    assert len(lines) == 2, lines  # the first text, then the rest when the generation ends
    assert lines[0] == per_token[0]
    assert "".join(lines) == "".join(per_token)
    assert held.lines[-1]["done"] and held.lines[-1]["eval_count"] == 40


def test_the_first_text_goes_at_once_on_a_freshly_booted_machine(model: Model,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # perf_counter_ns counts from boot: on a machine up less than the interval, "first text at once"
    # must not depend on the clock being larger than the interval
    boot = time.monotonic_ns()
    monkeypatch.setattr(engine_mod.time, "perf_counter_ns", lambda: time.monotonic_ns() - boot + 1000)
    held = generate(model, 3600.0, "count with me", 40)
    assert len(held.content()) == 2, held.content()


def test_a_step_that_evaluates_a_prompt_sends_waiting_text_first(model: Model) -> None:
    with running(model, 3600.0) as engine:
        first = submit(engine, model, "a long answer please", 900)
        deadline = time.monotonic() + 30
        while not first.lines and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(0.05)  # some more text is waiting now
        assert first.lines and not first.done.is_set()
        second = submit(engine, model, "another prompt that has to be evaluated", 5)
        assert second.done.wait(60) and first.done.wait(60)
    assert first.lines[-1]["eval_count"] == 900  # still generating when the second prompt came
    assert len(first.content()) == 3, first.content()  # first text, text before the prompt step, the rest
