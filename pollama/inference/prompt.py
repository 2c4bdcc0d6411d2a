"""Prompt rendering and fitting (Ollama's prompt.go): a request's messages become the prompt text, the
oldest turns dropped until it fits the context.

`render_chat_prompt` is the one place a model's prompt is rendered from messages: its built-in renderer
(pollama.prompt.renderers, named by its config's `renderer`), else its Go template, else its GGUF Jinja
chat template, else the bare text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.api.errors import APIError, BadRequest
from pollama.api.types import ChatRequest, GenerateRequest, Think
from pollama.inference.images import message_images, tag_messages, tag_text
from pollama.prompt.render import render_chat, render_generate, render_jinja
from pollama.prompt.renderers import RenderError, renderer_for
from pollama.runner.protocol import ImageInput, Runner
from pollama.store import Model

__all__ = ["Messages", "Tools", "special_tokens", "chat_messages", "renderer_name", "render_chat_prompt",
           "renders_generate", "render_generate_prompt", "fit_messages"]

Messages = list[dict[str, Any]]
Tools = Sequence[Mapping[str, Any]] | None
_BARE = "{{ .Prompt }}"  # a model with no template at all: just the text
_GEMMA4_LARGE_FROM = 12e9  # parameters: gemma4's legacy renderer name means gemma4-large from this size on


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


def _gemma4_size(text: str) -> str | None:
    """gemma4-small or -large when a model name tells the size (e2b/e4b; 12b/26b/31b), else None."""
    text = text.lower()
    if "e2b" in text or "e4b" in text:
        return "gemma4-small"
    if any(size in text for size in ("12b", "26b", "31b")):
        return "gemma4-large"
    return None


def _parameter_count(text: str) -> float | None:
    """A human parameter count ("26B", "270M", "1.5K") as a number; None when it is not one."""
    scale = {"B": 1e9, "M": 1e6, "K": 1e3}.get(text[-1:].upper())
    try:
        return float(text[:-1]) * scale if scale else None
    except ValueError:
        return None


def renderer_name(model: Model) -> str:
    """The built-in renderer that renders `model`'s prompts ("" for none). The legacy name "gemma4" is
    resolved to gemma4-small or gemma4-large by the model's name, else its parameter count (Ollama's
    renderer_resolution.go)."""
    if model.renderer != "gemma4":
        return model.renderer
    by_name = _gemma4_size(model.name.display) or _gemma4_size(str(model.name))
    if by_name:
        return by_name
    count = _parameter_count(str(model.config.get("model_type") or ""))
    return "gemma4-large" if count is not None and count >= _GEMMA4_LARGE_FROM else "gemma4-small"


def _render_builtin(name: str, messages: Messages, tools: Tools, think: Think) -> str:
    renderer = renderer_for(name)
    if renderer is None:  # a name the store accepted once but this version does not know
        raise BadRequest(f"unknown renderer {name!r}")
    try:
        return renderer.render(messages, tools, think)
    except RenderError as e:
        raise BadRequest(str(e)) from None


def render_chat_prompt(model: Model, messages: Messages, tools: Tools, think: Think) -> str:
    """The prompt, with `[img-N]` tags where the messages' images go (image N of `message_images`)."""
    if model.renderer:
        return _render_builtin(renderer_name(model), messages, tools, think)
    messages = tag_messages(messages)
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


def _generate_messages(model: Model, req: GenerateRequest, system: str | None) -> Messages:
    """/api/generate's request as chat messages, as Ollama builds them for a renderer: the system prompt,
    the model's MESSAGE history unless the request continues a context, then the prompt."""
    messages: Messages = [{"role": "system", "content": system}] if system else []
    if not req.context:
        messages += model.messages or []
    user: dict[str, Any] = {"role": "user", "content": req.prompt}
    if req.images:
        user["images"] = req.images
    return messages + [user]


def renders_generate(model: Model, req: GenerateRequest) -> bool:
    """Whether /api/generate's prompt comes from the model's renderer (not raw, no template or suffix)."""
    return bool(model.renderer) and not (req.raw or req.template or req.suffix)


def render_generate_prompt(model: Model, req: GenerateRequest, think: Think) -> str:
    """/api/generate's prompt (not raw): the model's renderer, else the request's or the model's template
    and system prompt. `think`: the request's, or True for a thinking model."""
    if renders_generate(model, req):
        messages = _generate_messages(model, req, req.system or model.system)
        return render_chat_prompt(model, messages, [], think)
    system = req.system if req.system is not None else model.system
    template = req.template or model.template
    prompt = tag_text(req.prompt, len(req.images or []))
    if template:
        if req.context:  # continuing: the earlier turns (and system) are already in the context
            system = None
        try:
            return render_generate(template, prompt=prompt, system=system, suffix=req.suffix or None,
                                   think=think)
        except Exception as e:
            raise BadRequest(f"template error: {e}") from None
    if model.chat_template:
        messages = []
        if system and not req.context:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt})
        bos, eos = special_tokens(model)
        return render_jinja(model.chat_template, messages, think=think, bos_token=bos, eos_token=eos)
    return render_chat(_BARE, [{"role": "user", "content": prompt}])


Fitted = tuple[str, list[int] | None, list[ImageInput]]


async def _fit(model: Model, runner: Runner, messages: Messages, tools: Tools, think: Think) -> Fitted:
    """The prompt, its tokens (an image's tokens as negative placeholders) and its images."""
    prompt, images = render_chat_prompt(model, messages, tools, think), message_images(messages)
    tokens = await runner.tokenize(prompt, images=images) if images else await runner.tokenize(prompt)
    return prompt, tokens, images


async def fit_messages(model: Model, runner: Runner, messages: Messages, tools: Tools, think: Think,
                       num_ctx: int) -> Fitted:
    """The prompt, its tokens and its images (image N is the prompt's `[img-N]`), the oldest non-system
    messages dropped until it fits num_ctx (Ollama's chatPrompt; an image counts its tokens). Tokens are None
    when not even the last message fits: the runner then truncates the front.

    A longer history never renders shorter, so the first message to keep is found by bisection: a
    few renders even for thousands of messages (one render per dropped message was quadratic)."""
    best = await _fit(model, runner, messages, tools, think)
    if len(best[1] or []) <= num_ctx:
        return best
    system = [m for m in messages if m.get("role") == "system"]
    rest = [m for m in messages if m.get("role") != "system"]
    found = False
    lo, hi = 1, len(rest) - 1  # the last message is always kept
    while lo <= hi:
        start = (lo + hi) // 2
        fitted = await _fit(model, runner, system + rest[start:], tools, think)
        if len(fitted[1] or []) <= num_ctx:
            best, found, hi = fitted, True, start - 1
        else:
            lo = start + 1
    if found:
        return best
    last = system + rest[-1:]
    return render_chat_prompt(model, last, tools, think), None, message_images(last)
