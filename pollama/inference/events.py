"""What the inference core yields: `Delta`s of new output, then one `Done`.

The API surfaces (/api, /v1 OpenAI, /v1/messages Anthropic) translate these into their own shapes; none
of them sees the runner's replies or another surface's dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Delta", "Metrics", "Done", "Event", "merge"]


@dataclass(slots=True)
class Delta:
    """New output: answer text, thinking text, complete tool calls, and the logprobs of the tokens the text
    came from. Tool calls are the API's dicts: `{"function": {"name": ..., "arguments": {...}}}`."""

    content: str = ""
    thinking: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    logprobs: list[dict[str, Any]] | None = None

    @property
    def empty(self) -> bool:
        return not (self.content or self.thinking or self.tool_calls or self.logprobs)


@dataclass(frozen=True, slots=True)
class Metrics:
    """Counts, and durations in nanoseconds (total: since the request arrived). `draft_tokens`: tokens
    speculative decoding proposed, `draft_accepted_tokens`: those the model confirmed (0 when it did not run)."""

    total_duration: int = 0
    load_duration: int = 0
    prompt_eval_count: int = 0
    prompt_eval_duration: int = 0
    eval_count: int = 0
    eval_duration: int = 0
    draft_tokens: int = 0
    draft_accepted_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Done:
    """The end of a request's output.

    `reason`: "stop" or "length" after a generation; "load" / "unload" for a request that only loaded or
    unloaded the model. `stop_sequence`: the stop string that ended the generation, if one did.
    `metrics`: None when nothing was generated. `context`: the prompt and generated tokens, for
    /api/generate to return (None when it returns none). `rendered`: the prompt of a request that asked
    only for it (`_debug_render_only`)."""

    reason: str
    stop_sequence: str | None = None
    metrics: Metrics | None = None
    context: list[int] | None = None
    rendered: str | None = None


Event = Delta | Done


def merge(events: Sequence[Event]) -> tuple[Delta, Done]:
    """A request's whole output as one Delta, and its Done: what a non-streamed answer is made of."""
    done = events[-1] if events else None
    if not isinstance(done, Done):
        raise ValueError("an inference stream ends with Done")
    deltas = [e for e in events if isinstance(e, Delta)]
    logprobs = [lp for d in deltas for lp in d.logprobs or []]
    return Delta(content="".join(d.content for d in deltas), thinking="".join(d.thinking for d in deltas),
                 tool_calls=[c for d in deltas for c in d.tool_calls], logprobs=logprobs or None), done
