"""The runner's wire protocol, shared by both ends: the server (pollama.runner.client) and the runner
process (pollama.runner.server and .engine).

One TCP connection per request, JSON lines both ways. The client writes one request line (a request
dataclass's `to_wire()`, with its `op`); the runner answers with reply lines, the last one with
`"done": true`, or with an error line `{"error": "...", "status": 400}` (status 400 when the runner
refused the request, none for a failure). Closing the connection cancels the request.

A completion streams `Piece` lines, then one `Finished` line. The per-token `Piece` line is written by
`piece_line` without building an object, since it is on the hot path.

`Runner` is what the server needs of a loaded model's runner; `RunnerProcess` implements it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Protocol

__all__ = ["RequestError", "CompletionRequest", "EmbedRequest", "RankRequest", "TokenizeRequest",
           "DetokenizeRequest", "InfoRequest", "Request", "decode_request", "Piece", "Finished", "Embedded",
           "Tokens", "Text", "Info", "ErrorReply", "piece_line", "completion_reply", "Runner"]


class RequestError(ValueError):
    """A request the runner cannot serve; its message goes back to the client with status 400."""


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj) + "\n").encode()


def _is_token_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(t, int) for t in value)


def _text(msg: dict[str, Any], key: str = "content") -> str:
    value = msg.get(key)
    if not isinstance(value, str):
        raise RequestError(f"{key} must be a string")
    return value


@dataclass(frozen=True, slots=True)
class ImageInput:
    """A decoded image for a vision model: `width` x `height` RGB pixels, row by row (`rgb`), and `id`, a hash
    of the image's bytes that keys the runner's prefix cache."""

    id: str
    width: int
    height: int
    rgb: bytes

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "width": self.width, "height": self.height,
                "rgb": base64.b64encode(self.rgb).decode()}

    @classmethod
    def from_wire(cls, value: Any) -> ImageInput:
        if not isinstance(value, dict):
            raise RequestError("an image must be an object")
        width, height, image_id = value.get("width"), value.get("height"), value.get("id")
        if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
            raise RequestError("an image needs a positive width and height")
        try:
            rgb = base64.b64decode(value.get("rgb") or "", validate=True)
        except (binascii.Error, ValueError):
            raise RequestError("an image's rgb must be base64") from None
        if len(rgb) != width * height * 3 or not isinstance(image_id, str) or not image_id:
            raise RequestError("an image needs an id and width x height x 3 bytes of rgb")
        return cls(image_id, width, height, rgb)


def _images(msg: dict[str, Any]) -> list[ImageInput] | None:
    raw = msg.get("images")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise RequestError("images must be a list")
    return [ImageInput.from_wire(v) for v in raw] or None


def _optional_text(msg: dict[str, Any], key: str) -> str | None:
    value = msg.get(key) or None
    if value is not None and not isinstance(value, str):
        raise RequestError(f"{key} must be a string")
    return value


# ---- requests (server -> runner) -----------------------------------------------------------------
class _Request:
    """A request dataclass: its fields and `op` are the request line."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]
    op: ClassVar[str]

    def to_wire(self) -> dict[str, Any]:
        body = {f.name: getattr(self, f.name) for f in fields(self)}
        if body.get("images"):
            body["images"] = [image.to_wire() for image in body["images"]]
        return {"op": self.op, **{k: v for k, v in body.items() if v is not None}}

    def encode(self) -> bytes:
        return _line(self.to_wire())


@dataclass(frozen=True, slots=True)
class CompletionRequest(_Request):
    """Generate from `prompt` (tokenized by the runner, BOS added) or from `tokens`.

    `grammar` constrains sampling, from the start or, with `grammar_trigger`, once that text has been
    generated. A prompt longer than the context keeps `num_keep` tokens and the end, unless `truncate`
    is False (then it is refused).

    `images` (a vision runner): the images the prompt's `[img-N]` tags name (N: the index); such a prompt is
    text, tokenized with BOS/EOS where `add_special`, and refused rather than truncated."""

    op: ClassVar[str] = "completion"
    options: dict[str, Any] = field(default_factory=dict)
    prompt: str | None = None
    tokens: list[int] | None = None
    grammar: str | None = None
    grammar_trigger: str | None = None
    logprobs: bool = False
    top_logprobs: int = 0
    truncate: bool = True
    images: list[ImageInput] | None = None
    add_special: bool = True

    @classmethod
    def from_wire(cls, msg: dict[str, Any]) -> CompletionRequest:
        tokens, prompt, images = msg.get("tokens"), None, _images(msg)
        if images and tokens is not None:
            raise RequestError("a prompt with images must be text")
        if tokens is not None:
            if not _is_token_list(tokens):
                raise RequestError("tokens must be a list of token ids")
        else:
            prompt = _text(msg, "prompt")
        options = msg.get("options") or {}
        if not isinstance(options, dict):
            raise RequestError("options must be an object")
        grammar = _optional_text(msg, "grammar")
        trigger = _optional_text(msg, "grammar_trigger")
        top = msg.get("top_logprobs") or 0
        if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= 20:
            raise RequestError("top_logprobs must be between 0 and 20")
        return cls(options=options, prompt=prompt, tokens=tokens, grammar=grammar,
                   grammar_trigger=trigger if grammar else None,
                   logprobs=bool(msg.get("logprobs")) or top > 0, top_logprobs=top,
                   truncate=msg.get("truncate") is not False, images=images,
                   add_special=msg.get("add_special") is not False)


@dataclass(frozen=True, slots=True)
class EmbedRequest(_Request):
    """The pooled embedding of `content` (not normalized); an embedding runner only."""

    op: ClassVar[str] = "embed"
    content: str
    truncate: bool = True

    @classmethod
    def from_wire(cls, msg: dict[str, Any]) -> EmbedRequest:
        return cls(_text(msg), truncate=msg.get("truncate") is not False)


@dataclass(frozen=True, slots=True)
class RankRequest(_Request):
    """A reranker's relevance score(s) for `document` against `query` (an `Embedded` reply: the n_cls_out
    floats of rank pooling, the score first); a reranker's embedding runner only."""

    op: ClassVar[str] = "rank"
    query: str
    document: str
    truncate: bool = True

    @classmethod
    def from_wire(cls, msg: dict[str, Any]) -> RankRequest:
        return cls(_text(msg, "query"), _text(msg, "document"), truncate=msg.get("truncate") is not False)


@dataclass(frozen=True, slots=True)
class TokenizeRequest(_Request):
    """Token ids of `content`; `special` parses special-token text, `add_special` adds BOS/EOS. With
    `images` (named by `[img-N]` tags, as in a completion) each image token is its negative placeholder."""

    op: ClassVar[str] = "tokenize"
    content: str
    special: bool = True
    add_special: bool = False
    images: list[ImageInput] | None = None

    @classmethod
    def from_wire(cls, msg: dict[str, Any]) -> TokenizeRequest:
        return cls(_text(msg), special=bool(msg.get("special", True)),
                   add_special=bool(msg.get("add_special")), images=_images(msg))


@dataclass(frozen=True, slots=True)
class DetokenizeRequest(_Request):
    op: ClassVar[str] = "detokenize"
    tokens: list[int]

    @classmethod
    def from_wire(cls, msg: dict[str, Any]) -> DetokenizeRequest:
        tokens: Any = msg.get("tokens")
        if not _is_token_list(tokens):
            raise RequestError("tokens must be a list of token ids")
        return cls(tokens)


@dataclass(frozen=True, slots=True)
class InfoRequest(_Request):
    """What the runner was started with, and its slots."""

    op: ClassVar[str] = "info"

    @classmethod
    def from_wire(cls, msg: dict[str, Any]) -> InfoRequest:
        return cls()


Request = CompletionRequest | EmbedRequest | RankRequest | TokenizeRequest | DetokenizeRequest | InfoRequest
_BY_OP: dict[str, type[Request]] = {c.op: c for c in (CompletionRequest, EmbedRequest, RankRequest,
                                                       TokenizeRequest, DetokenizeRequest, InfoRequest)}


def decode_request(line: bytes) -> Request:
    """The request a client's line carries; RequestError if it is not one."""
    try:
        msg = json.loads(line)
    except json.JSONDecodeError as e:
        raise RequestError(f"invalid request: {e}") from None
    if not isinstance(msg, dict):
        raise RequestError("request must be a JSON object")
    op = msg.get("op")
    kind = _BY_OP.get(op) if isinstance(op, str) else None
    if kind is None:
        raise RequestError(f"unknown op: {op!r}")
    return kind.from_wire(msg)


# ---- replies (runner -> server) ------------------------------------------------------------------
def piece_line(content: str, logprobs: list[dict[str, Any]] | None = None, eval_count: int = 0,
               prompt_eval_count: int = 0) -> bytes:
    """A `Piece` line: generated text (and the logprobs of the tokens it came from), with the counts so far."""
    if logprobs:
        return _line({"content": content, "logprobs": logprobs, "eval_count": eval_count,
                      "prompt_eval_count": prompt_eval_count})
    return b'{"content": %s, "eval_count": %d, "prompt_eval_count": %d}\n' % (
        json.dumps(content).encode(), eval_count, prompt_eval_count)


@dataclass(frozen=True, slots=True)
class Piece:
    """Generated text, as soon as it is safe to show (no stop string can begin in it). `eval_count`: the
    tokens generated so far; `prompt_eval_count`: the prompt tokens evaluated (so a generation cut short
    before its `Finished` still counts what it did)."""

    content: str = ""
    logprobs: list[dict[str, Any]] | None = None
    eval_count: int = 0
    prompt_eval_count: int = 0


@dataclass(frozen=True, slots=True)
class Finished:
    """The last line of a completion. `context` is the prompt and the generated tokens; `stop_sequence` is
    the stop string that ended it, if one did; `prompt_cached_count`: the prompt's tokens that were in the
    cache already (not evaluated); `draft_tokens` / `draft_accepted_tokens`: tokens speculation proposed /
    the target confirmed (written only when speculation ran). Durations are in nanoseconds."""

    done_reason: str = "stop"
    prompt_eval_count: int = 0
    prompt_cached_count: int = 0
    prompt_eval_duration: int = 0
    eval_count: int = 0
    eval_duration: int = 0
    context: list[int] = field(default_factory=list)
    stop_sequence: str | None = None
    draft_tokens: int = 0
    draft_accepted_tokens: int = 0

    def encode(self) -> bytes:
        body = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.stop_sequence is None:
            del body["stop_sequence"]
        if not self.draft_tokens:
            del body["draft_tokens"], body["draft_accepted_tokens"]
        return _line({"done": True, **body})

    @classmethod
    def from_wire(cls, msg: dict[str, Any]) -> Finished:
        return cls(**{f.name: msg[f.name] for f in fields(cls) if f.name in msg})


def completion_reply(msg: dict[str, Any]) -> Piece | Finished:
    """The reply a completion line carries."""
    if msg.get("done"):
        return Finished.from_wire(msg)
    return Piece(msg.get("content", ""), msg.get("logprobs"), msg.get("eval_count", 0),
                 msg.get("prompt_eval_count", 0))


@dataclass(frozen=True, slots=True)
class Embedded:
    """An embedding reply: the pooled vector and how many tokens it took."""

    embedding: list[float]
    prompt_eval_count: int

    def encode(self) -> bytes:
        return _line({"embedding": self.embedding, "prompt_eval_count": self.prompt_eval_count, "done": True})


@dataclass(frozen=True, slots=True)
class Tokens:
    tokens: list[int]

    def encode(self) -> bytes:
        return _line({"tokens": self.tokens, "done": True})


@dataclass(frozen=True, slots=True)
class Text:
    content: str

    def encode(self) -> bytes:
        return _line({"content": self.content, "done": True})


@dataclass(frozen=True, slots=True)
class Info:
    """What the runner was started with (the fields of its ready line) and its slots' state."""

    values: dict[str, Any]

    def encode(self) -> bytes:
        return _line({**self.values, "done": True})


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """The runner refused the request (status 400) or failed serving it (no status)."""

    error: str
    status: int | None = None

    def encode(self) -> bytes:
        if self.status is None:
            return _line({"error": self.error})
        return _line({"error": self.error, "status": self.status})


# ---- the server's view of a runner ---------------------------------------------------------------
class Runner(Protocol):
    """A loaded model's runner, as the scheduler and the inference core use it."""

    @property
    def alive(self) -> bool: ...

    def completion(self, req: CompletionRequest) -> AsyncGenerator[Piece | Finished, None]:
        """`Piece`s, then the `Finished` reply; closing the iterator early cancels the generation."""
        ...

    async def embed(self, text: str, truncate: bool = True) -> Embedded: ...

    async def rank(self, query: str, document: str, truncate: bool = True) -> Embedded: ...

    async def tokenize(self, text: str, *, special: bool = True, add_special: bool = False,
                       images: Sequence[ImageInput] = ()) -> list[int]:
        """Token ids of `text`; with `images` (a vision runner) its image tokens count as negative ids."""
        ...

    async def detokenize(self, tokens: Sequence[int]) -> str: ...

    async def stop(self, timeout: float = 5.0, reason: str | None = None) -> None: ...
