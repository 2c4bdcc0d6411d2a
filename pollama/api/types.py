"""Wire types of Ollama's REST API: the requests, and the few responses with a type of their own (the rest
are plain dicts built by the routes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pollama.api.errors import BadRequest

__all__ = [
    "Message", "ToolCall", "Tool", "GenerateRequest", "ChatRequest", "EmbedRequest", "EmbeddingsRequest",
    "TokenizeRequest", "DetokenizeRequest", "CreateRequest", "ShowRequest", "CopyRequest", "DeleteRequest",
    "PullRequest", "PushRequest", "CloudStatus", "StatusResponse",
    "parse_request", "json_object", "ModelRef", "MAX_JSON_DEPTH", "MAX_MESSAGES",
]

MAX_JSON_DEPTH = 100  # nesting of objects and arrays in a request body
MAX_MESSAGES = 4096  # messages in one chat or create request


class _Base(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, strict=True)


class ToolCallFunction(_Base):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    index: int | None = None

    @field_validator("arguments", mode="before")
    @classmethod
    def _args(cls, v: Any) -> Any:
        if isinstance(v, str):  # OpenAI-style clients send a JSON string
            try:
                return json.loads(v) if v.strip() else {}
            except json.JSONDecodeError:
                return {"_raw": v}
        return v if v is not None else {}


class ToolCall(_Base):
    id: str | None = None
    type: str | None = None
    function: ToolCallFunction


class Message(_Base):
    role: str
    content: str = ""
    thinking: str | None = None
    images: list[str] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_name: str | None = None
    tool_call_id: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _content(cls, v: Any) -> Any:
        return "" if v is None else v

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class Tool(_Base):
    model_config = ConfigDict(extra="allow", populate_by_name=True, strict=True)
    type: str = "function"
    function: dict[str, Any]


class ModelRef(_Base):
    """`model`, with the legacy `name` accepted as well."""

    model: str | None = None
    name: str | None = None

    @property
    def model_name(self) -> str:
        return (self.model or self.name or "").strip()


Think = bool | str | None
Format = str | dict[str, Any] | None


class GenerateRequest(ModelRef):
    prompt: str = ""
    suffix: str = ""
    system: str | None = None
    template: str | None = None
    context: list[int] | None = None
    stream: bool | None = None
    raw: bool = False
    format: Format = None
    images: list[str] | None = None
    options: dict[str, Any] | None = None
    keep_alive: str | int | float | None = None
    think: Think = None
    logprobs: bool = False
    top_logprobs: int = 0
    debug_render_only: bool = Field(default=False, alias="_debug_render_only")


class ChatRequest(ModelRef):
    messages: list[Message] = Field(default_factory=list, max_length=MAX_MESSAGES)
    tools: list[Tool] | None = None
    stream: bool | None = None
    format: Format = None
    options: dict[str, Any] | None = None
    keep_alive: str | int | float | None = None
    think: Think = None
    logprobs: bool = False
    top_logprobs: int = 0
    debug_render_only: bool = Field(default=False, alias="_debug_render_only")


class EmbedRequest(ModelRef):
    input: str | list[str] | list[int] | list[list[int]] | None = None
    truncate: bool | None = None
    dimensions: int | None = None
    options: dict[str, Any] | None = None
    keep_alive: str | int | float | None = None


class EmbeddingsRequest(ModelRef):
    prompt: str = ""
    options: dict[str, Any] | None = None
    keep_alive: str | int | float | None = None


class TokenizeRequest(ModelRef):
    """/api/tokenize: `parse_special` reads special-token text (`<|im_start|>`) as those tokens,
    `add_special` adds what the model adds around a prompt (BOS, EOS), as llama-server's /tokenize."""

    content: str = ""
    add_special: bool = False
    parse_special: bool = True
    options: dict[str, Any] | None = None
    keep_alive: str | int | float | None = None


class DetokenizeRequest(ModelRef):
    tokens: list[int] = Field(default_factory=list)
    options: dict[str, Any] | None = None
    keep_alive: str | int | float | None = None


class CreateRequest(ModelRef):
    from_: str | None = Field(default=None, alias="from")
    files: dict[str, str] | None = None
    adapters: dict[str, str] | None = None
    template: str | None = None
    license: str | list[str] | None = None
    system: str | None = None
    parameters: dict[str, Any] | None = None
    messages: list[Message] | None = Field(default=None, max_length=MAX_MESSAGES)
    quantize: str | None = None
    quantization: str | None = None
    requires: str | None = None
    renderer: str | None = None
    parser: str | None = None
    draft: str | None = None  # pollama: a model name or an uploaded GGUF's digest (Modelfile DRAFT)
    modelfile: str | None = None
    stream: bool | None = None


class ShowRequest(ModelRef):
    verbose: bool = False
    system: str | None = None
    template: str | None = None
    options: dict[str, Any] | None = None


class CloudStatus(_Base):
    disabled: bool
    source: str  # what disabled it: "none", "env", "config" or "both"


class StatusResponse(_Base):
    """GET /api/status."""

    cloud: CloudStatus


class CopyRequest(_Base):
    source: str
    destination: str


class DeleteRequest(ModelRef):
    pass


class PullRequest(ModelRef):
    insecure: bool = False
    stream: bool | None = None


class PushRequest(ModelRef):
    insecure: bool = False
    stream: bool | None = None


T = TypeVar("T", bound=BaseModel)

_GO_TYPES = {"bool": "bool", "int": "int", "float": "float64", "str": "string", "list": "array",
             "dict": "object", "NoneType": "null"}


def _describe(err: ValidationError, cls: type[BaseModel]) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    if first.get("type") == "missing":
        return f"missing required field \"{loc}\""
    if first.get("type") == "too_long":
        ctx = first.get("ctx", {})
        return f"too many {loc}: {ctx.get('actual_length')} (the limit is {ctx.get('max_length')})"
    got = type(first.get("input")).__name__
    return (f"json: cannot unmarshal {_GO_TYPES.get(got, got)} into Go struct field "
            f"{cls.__name__}.{loc}: {first.get('msg', 'invalid value')}")


def _not_an_object(_: Any) -> str:
    return "request body must be a JSON object"


def _too_deep() -> BadRequest:
    return BadRequest(f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels")


def _check_depth(data: Any) -> None:
    level = [data]
    for _ in range(MAX_JSON_DEPTH):
        level = [child for node in level for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, dict | list)]
        if not level:
            return
    raise _too_deep()


def json_object(raw: bytes, not_object: Callable[[Any], str] = _not_an_object) -> dict[str, Any]:
    """Decode a request body that must be a JSON object nested at most MAX_JSON_DEPTH levels; anything else
    is a 400 (`not_object` words it)."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as e:  # malformed JSON, bad UTF-8, an integer too long to convert
        raise BadRequest(f"invalid JSON: {e}") from None
    if not isinstance(data, dict):
        raise BadRequest(not_object(data))
    _check_depth(data)
    return data


def parse_request(raw: bytes, cls: type[T], *, allow_empty: bool = False) -> T:
    """Decode and validate a JSON body; every failure is a 400 in Ollama's shape."""
    if not raw.strip():
        if allow_empty:
            return cls()
        raise BadRequest("missing request body")
    json_object(raw, lambda data: f"json: cannot unmarshal {type(data).__name__} into Go value of type {cls.__name__}")
    try:
        return cls.model_validate_json(raw)
    except ValidationError as e:
        raise BadRequest(_describe(e, cls)) from None
