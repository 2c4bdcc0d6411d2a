"""Prompt rendering and fitting (Ollama's prompt.go): a request's messages become the prompt text, the
oldest turns dropped until it fits the context.

`render_chat_prompt` is the one place a model's prompt is rendered from messages: its Go template, else
its GGUF Jinja chat template, else the bare text. A model's built-in renderer (pollama.prompt.renderers,
named by its config) belongs there too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.api.errors import APIError, BadRequest
from pollama.api.types import ChatRequest, GenerateRequest, Think
from pollama.prompt.render import render_chat, render_generate, render_jinja
from pollama.runner.protocol import Runner
from pollama.store import Model

__all__ = ["Messages", "Tools", "special_tokens", "chat_messages", "render_chat_prompt", "render_generate_prompt",
           "fit_messages"]

Messages = list[dict[str, Any]]
Tools = Sequence[Mapping[str, Any]] | None
_BARE = "{{ .Prompt }}"  # a model with no template at all: just the text


def special_tokens(model: Model) -> tuple[str, str]:
    """The BOS and EOS token texts a Jinja chat template may use ("" where the model has none)."""
    info = model.info(arrays=True)
    if info is None:
        return "", ""
    tokens = info.get("tokenizer.ggml.tokens") or []

    def text(key: str) -> str:
        idx = info.get(key)
        return tokens[idx] if isinstance(idx, int) and 0 <= idx < len(tokens) else ""

    return text("tokenizer.ggml.bos_token_id"), text("tokenizer.ggml.eos_token_id")


def chat_messages(model: Model, req: ChatRequest) -> Messages:
    """The request's messages after the model's own (its MESSAGE history and SYSTEM prompt)."""
    messages = [m.to_dict() for m in req.messages]
    for m in messages:
        for call in m.get("tool_calls") or []:
            call.get("function", {}).pop("index", None)
    history = list(model.messages or [])
    if model.system and not any(m.get("role") == "system" for m in messages):
        history.insert(0, {"role": "system", "content": model.system})
    return history + messages


def render_chat_prompt(model: Model, messages: Messages, tools: Tools, think: Think) -> str:
    try:
        if model.template:
            return render_chat(model.template, messages, tools=tools, think=think)
        if model.chat_template:
            bos, eos = special_tokens(model)
            return render_jinja(model.chat_template, messages, tools=tools, think=think, bos_token=bos,
                                eos_token=eos)
        return render_chat(_BARE, messages, tools=tools, think=think)
    except APIError:
        raise
    except Exception as e:
        raise BadRequest(f"template error: {e}") from None


def render_generate_prompt(model: Model, req: GenerateRequest, thinking: bool) -> str:
    """/api/generate's prompt (not raw): the request's or the model's template and system prompt."""
    system = req.system if req.system is not None else model.system
    think = req.think if req.think is not None else (True if thinking else None)
    template = req.template or model.template
    if template:
        if req.context:  # continuing: the earlier turns (and system) are already in the context
            system = None
        try:
            return render_generate(template, prompt=req.prompt, system=system, suffix=req.suffix or None,
                                   think=think)
        except Exception as e:
            raise BadRequest(f"template error: {e}") from None
    if model.chat_template:
        messages = []
        if system and not req.context:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": req.prompt})
        bos, eos = special_tokens(model)
        return render_jinja(model.chat_template, messages, think=think, bos_token=bos, eos_token=eos)
    return render_chat(_BARE, [{"role": "user", "content": req.prompt}])


async def fit_messages(model: Model, runner: Runner, messages: Messages, tools: Tools, think: Think,
                       num_ctx: int) -> tuple[str, list[int] | None]:
    """The prompt and its tokens, the oldest non-system messages dropped until it fits num_ctx (Ollama's
    chatPrompt). Tokens are None when not even the last message fits: the runner then truncates the front.

    A longer history never renders shorter, so the first message to keep is found by bisection: a
    few renders even for thousands of messages (one render per dropped message was quadratic)."""
    prompt = render_chat_prompt(model, messages, tools, think)
    tokens = await runner.tokenize(prompt)
    if len(tokens) <= num_ctx:
        return prompt, tokens
    system = [m for m in messages if m.get("role") == "system"]
    rest = [m for m in messages if m.get("role") != "system"]
    best: tuple[str, list[int] | None] | None = None
    lo, hi = 1, len(rest) - 1  # the last message is always kept
    while lo <= hi:
        start = (lo + hi) // 2
        prompt = render_chat_prompt(model, system + rest[start:], tools, think)
        tokens = await runner.tokenize(prompt)
        if len(tokens) <= num_ctx:
            best, hi = (prompt, tokens), start - 1
        else:
            lo = start + 1
    if best is not None:
        return best
    return render_chat_prompt(model, system + rest[-1:], tools, think), None
