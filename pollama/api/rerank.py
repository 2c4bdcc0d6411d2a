"""Wire types of POST /api/rerank and /v1/rerank: the body llama-server's rerank endpoint takes (Jina's and
Cohere's shape), with Ollama's `options` and `keep_alive`, and the answer's."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from pollama.api.types import ModelRef

__all__ = ["RerankRequest", "RerankResponse", "RerankResult", "RerankDocument", "RerankUsage", "MAX_DOCUMENTS"]

MAX_DOCUMENTS = 10_000  # documents in one request (Cohere's limit)


class RerankRequest(ModelRef):
    """`query` and `documents` are checked by the route, with llama-server's words; `top_n` (default: all)
    keeps the best ones; `truncate` (default) cuts a document so that its pair fits the context, else such a
    pair is refused."""

    query: str | None = None
    documents: list[str] | None = Field(default=None, max_length=MAX_DOCUMENTS)
    top_n: int | None = None
    return_documents: bool = False
    truncate: bool = True
    options: dict[str, Any] | None = None
    keep_alive: str | int | float | None = None


class RerankDocument(BaseModel):
    text: str


class RerankResult(BaseModel):
    index: int
    relevance_score: float
    document: RerankDocument | None = None


class RerankUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class RerankResponse(BaseModel):
    """The answer of both routes: results best first (ties in the documents' order)."""

    model: str
    object: str = "list"
    usage: RerankUsage
    results: list[RerankResult]
