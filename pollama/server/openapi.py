"""/openapi.json: each route's request body described by the type that parses it.

The routes read their body themselves (`parse_request(await request.body(), Type)`, or a plain JSON object
that the OpenAI and Anthropic routes translate), so FastAPI cannot see what they take. REQUEST_BODIES says
it, in one place; a route that reads a body and is missing from it stops the app from being built.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from pollama.api import types
from pollama.api.rerank import RerankRequest

__all__ = ["REQUEST_BODIES", "install_openapi"]

# (method, path) -> what the body is parsed as: a request type; dict, any JSON object (translated by the
# OpenAI and Anthropic routes); bytes, raw content.
REQUEST_BODIES: dict[tuple[str, str], type] = {
    ("POST", "/api/generate"): types.GenerateRequest,
    ("POST", "/api/chat"): types.ChatRequest,
    ("POST", "/api/embed"): types.EmbedRequest,
    ("POST", "/api/embeddings"): types.EmbeddingsRequest,
    ("POST", "/api/tokenize"): types.TokenizeRequest,
    ("POST", "/api/detokenize"): types.DetokenizeRequest,
    ("POST", "/api/rerank"): RerankRequest,
    ("POST", "/v1/rerank"): RerankRequest,
    ("POST", "/api/show"): types.ShowRequest,
    ("POST", "/api/create"): types.CreateRequest,
    ("POST", "/api/copy"): types.CopyRequest,
    ("DELETE", "/api/delete"): types.DeleteRequest,
    ("POST", "/api/pull"): types.PullRequest,
    ("POST", "/api/push"): types.PushRequest,
    ("POST", "/api/blobs/{digest}"): bytes,
    ("POST", "/v1/chat/completions"): dict,
    ("POST", "/v1/completions"): dict,
    ("POST", "/v1/embeddings"): dict,
    ("POST", "/v1/responses"): dict,
    ("POST", "/v1/messages"): dict,
    ("POST", "/v1/messages/count_tokens"): dict,
}
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_REF = "#/components/schemas/{model}"


def _request_body(kind: type, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    if kind is bytes:
        media, schema = "application/octet-stream", {"type": "string", "format": "binary"}
    else:
        media, schema = "application/json", {"type": "object"} if kind is dict else refs[(kind, "validation")]
    return {"required": True, "content": {media: {"schema": schema}}}


def _document(app: FastAPI) -> dict[str, Any]:
    with warnings.catch_warnings():  # FastAPI gives a GET+HEAD route's two operations one id: made unique below
        warnings.filterwarnings("ignore", "Duplicate Operation ID")
        doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
    models = [kind for kind in REQUEST_BODIES.values() if issubclass(kind, BaseModel)]
    refs, defs = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    doc.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            operation["operationId"] = re.sub(r"\W+", "_", f"{method}{path}").strip("_")
            if method.upper() not in _BODY_METHODS:
                continue
            kind = REQUEST_BODIES.get((method.upper(), path))
            if kind is None:
                raise KeyError(f"{method.upper()} {path} reads a body: describe it in REQUEST_BODIES")
            operation["requestBody"] = _request_body(kind, refs)
    return doc


def install_openapi(app: FastAPI) -> None:
    """Build the document now, once every router is included, and serve it as /openapi.json."""
    doc = _document(app)
    app.openapi = lambda: doc  # type: ignore[method-assign]
