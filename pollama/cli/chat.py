"""A `pollama run` conversation with the server: the session state, the chat request it makes, and the
streamed answer (Ctrl+C stops it)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from pollama.cli.display import ResponseDisplay, Spinner, summary
from pollama.client import Client

__all__ = ["RunOptions", "adopt_model", "chat", "chat_request", "load_model"]


@dataclass
class RunOptions:
    """Everything a run session carries from one turn to the next."""

    model: str
    parent_model: str = ""
    prompt: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    word_wrap: bool = True
    format: str = ""
    system: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    multimodal: bool = False
    keep_alive: str | None = None
    think: bool | str | None = None
    hide_thinking: bool = False
    verbose: bool = False


def adopt_model(opts: RunOptions, info: dict[str, Any], think_explicit: bool) -> None:
    """Take what /api/show says of `opts.model`: thinking on by default where it thinks, images where it sees."""
    caps = info.get("capabilities") or []
    if not think_explicit:
        opts.think = True if "thinking" in caps else None
    opts.multimodal = "vision" in caps or bool(info.get("projector_info"))
    opts.parent_model = (info.get("details") or {}).get("parent_model") or ""


def _format_field(fmt: str) -> Any:
    if not fmt or fmt == "json":
        return fmt
    try:
        return json.loads(fmt)  # a JSON schema given inline
    except json.JSONDecodeError:
        return fmt


def _model_fields(opts: RunOptions) -> dict[str, Any]:
    """The fields every request of the session carries: the model, how long it stays loaded, thinking."""
    body: dict[str, Any] = {"model": opts.model}
    if opts.keep_alive is not None:
        body["keep_alive"] = opts.keep_alive
    if opts.think is not None:
        body["think"] = opts.think
    return body


def chat_request(opts: RunOptions) -> dict[str, Any]:
    body = {**_model_fields(opts), "messages": opts.messages}
    if opts.format:
        body["format"] = _format_field(opts.format)
    if opts.options:
        body["options"] = opts.options
    return body


def load_model(client: Client, opts: RunOptions) -> None:
    """Load the model (an empty generate) so the first answer does not wait; fails early on bad think."""
    body = _model_fields(opts)
    spinner = Spinner().start()
    try:
        for _ in client.stream("/api/generate", body):
            pass
    finally:
        spinner.stop()


def chat(client: Client, opts: RunOptions, out: TextIO | None = None) -> dict[str, Any] | None:
    """Stream one answer to `out`. Returns the assistant message, or None when Ctrl+C stopped it."""
    out = out or sys.stdout
    display = ResponseDisplay(out, opts.word_wrap, opts.hide_thinking)
    spinner = Spinner().start()
    final: dict[str, Any] = {}
    role, content, thinking = "assistant", [], []
    stream = client.stream("/api/chat", chat_request(opts))
    try:
        for chunk in stream:
            msg = chunk.get("message") or {}
            text, thought = msg.get("content") or "", msg.get("thinking") or ""
            if text or (thought and not opts.hide_thinking):
                spinner.stop()
            role = msg.get("role") or role
            content.append(text)
            thinking.append(thought)
            display.add(text, thought)
            if chunk.get("done"):
                final = chunk
    except KeyboardInterrupt:
        spinner.stop()
        stream.close()
        display.finish()
        out.write("\n")
        out.flush()
        return None
    finally:
        spinner.stop()
        stream.close()
    display.finish()
    if opts.messages:
        out.write("\n\n")
        out.flush()
    if opts.verbose and final:
        sys.stderr.write(summary(final))
        sys.stderr.flush()
    message: dict[str, Any] = {"role": role, "content": "".join(content)}
    if any(thinking):
        message["thinking"] = "".join(thinking)
    return message
