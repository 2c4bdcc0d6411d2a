"""What one HTTP request did, for its log line: the server's request middleware puts a `RequestRecord` on a
context variable for the request's whole life (its streamed body included), and the code that learns the
facts writes them in: the model the body named, and the counts and durations of what was generated. Code
running outside a request (a test driving the core directly) finds no record and writes nothing."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pollama.inference.events import Metrics

__all__ = ["RequestRecord", "current", "start", "end", "note_model", "note_generation", "note_prompt_tokens", "note_error"]


@dataclass
class RequestRecord:
    """The facts of one request. Counts and durations (nanoseconds) add up over its generations."""

    id: str
    model: str | None = None
    generations: int = 0
    prompt_eval_count: int = 0
    eval_count: int = 0
    load_duration: int = 0
    prompt_eval_duration: int = 0
    eval_duration: int = 0
    cut: bool = False  # a generation ended before its runner finished it (its client left)
    error: str | None = None  # what ended a stream that had already started


_current: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar("pollama_request", default=None)


def current() -> RequestRecord | None:
    return _current.get()


def start(record: RequestRecord) -> contextvars.Token[RequestRecord | None]:
    return _current.set(record)


def end(token: contextvars.Token[RequestRecord | None]) -> None:
    _current.reset(token)


def note_model(name: str) -> None:
    if (record := _current.get()) is not None:
        record.model = name


def note_generation(timings: Metrics, finished: bool = True) -> None:
    """A generation's counts and durations (`finished` False: cut short, its counts as far as they came)."""
    record = _current.get()
    if record is None:
        return
    record.generations += 1
    record.prompt_eval_count += timings.prompt_eval_count
    record.eval_count += timings.eval_count
    record.load_duration += timings.load_duration
    record.prompt_eval_duration += timings.prompt_eval_duration
    record.eval_duration += timings.eval_duration
    record.cut = record.cut or not finished


def note_prompt_tokens(count: int) -> None:
    """Tokens evaluated without generating (embeddings)."""
    if (record := _current.get()) is not None:
        record.prompt_eval_count += count


def note_error(message: str) -> None:
    if (record := _current.get()) is not None:
        record.error = message
