"""POST /api/rerank and /v1/rerank: score documents against a query with a reranker (a GGUF whose pooling
is llama.cpp's rank pooling, a BERT-family cross-encoder), as llama-server's rerank endpoint does.

Each (query, document) pair is one sequence in the model's embedding runner (loaded through the scheduler like
any request); the runner builds the pair's tokens as llama-server does and answers its relevance score.
Results come best first; `top_n` keeps that many. /v1/rerank answers errors in OpenAI's shape.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pollama.api.errors import APIError, BadRequest
from pollama.api.rerank import RerankDocument, RerankRequest, RerankResponse, RerankResult, RerankUsage
from pollama.api.types import parse_request
from pollama.inference import resolve_model
from pollama.inference.stream import model_options
from pollama.reqctx import note_prompt_tokens
from pollama.runner.protocol import Embedded, Runner
from pollama.server.openai import openai_error
from pollama.server.streaming import api_route, until_disconnected

__all__ = ["router"]

router = APIRouter()
IN_FLIGHT = 16  # pairs of one request sent to the runner at a time (its engine batches what is queued)


def _check(req: RerankRequest) -> tuple[str, list[str]]:
    """The query and documents, or llama-server's 400s."""
    if req.query is None:
        raise BadRequest('"query" must be provided')
    if not req.documents:
        raise BadRequest('"documents" must be a non-empty string array')
    if req.top_n is not None and req.top_n < 0:
        raise BadRequest('"top_n" must not be negative')
    return req.query, req.documents


async def _rank_all(runner: Runner, query: str, documents: list[str], truncate: bool) -> list[Embedded]:
    """Each document's reply, IN_FLIGHT pairs at the runner at a time; the first failure stops the rest."""
    todo = iter(enumerate(documents))

    async def worker() -> list[tuple[int, Embedded]]:
        return [(i, await runner.rank(query, document, truncate)) for i, document in todo]

    workers = [asyncio.ensure_future(worker()) for _ in range(min(IN_FLIGHT, len(documents)))]
    try:
        done = await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        await asyncio.wait(workers)
    return [reply for _, reply in sorted((pair for part in done for pair in part), key=lambda pair: pair[0])]


async def _scores(request: Request, req: RerankRequest) -> tuple[str, list[Embedded], float]:
    """(the model's name, each document's runner reply, seconds spent loading the model)."""
    store, sched = request.app.state.store, request.app.state.scheduler
    query, documents = _check(req)
    model = await resolve_model(store, req.model_name)
    if "rerank" not in model.capabilities:
        raise BadRequest(f'"{req.model_name}" does not support rerank')
    options = model_options(model, req.options)
    async with sched.use(model, options, req.keep_alive, embedding=True) as (loaded, load_seconds):
        replies = await _rank_all(loaded.runner, query, documents, req.truncate)
    count = sum(r.prompt_eval_count for r in replies)
    sched.metrics.prompt_tokens.labels(model.name.display).inc(count)
    note_prompt_tokens(count)
    return model.name.display, replies, load_seconds


def _answer(req: RerankRequest, model: str, replies: list[Embedded]) -> RerankResponse:
    documents = req.documents or []
    results = [RerankResult(index=i, relevance_score=r.embedding[0],
                            document=RerankDocument(text=documents[i]) if req.return_documents else None)
               for i, r in enumerate(replies)]
    results.sort(key=lambda r: r.relevance_score, reverse=True)
    tokens = sum(r.prompt_eval_count for r in replies)
    return RerankResponse(model=model, usage=RerankUsage(prompt_tokens=tokens, total_tokens=tokens),
                          results=results[: req.top_n] if req.top_n is not None else results)


@router.post("/api/rerank")
async def rerank(request: Request) -> Response:
    t0 = time.perf_counter()
    req = parse_request(await request.body(), RerankRequest)
    name, replies, load_seconds = await until_disconnected(request, _scores(request, req))
    body = _answer(req, name, replies).model_dump(exclude_none=True)
    return JSONResponse({**body, "total_duration": int((time.perf_counter() - t0) * 1e9),
                         "load_duration": int(load_seconds * 1e9),
                         "prompt_eval_count": body["usage"]["prompt_tokens"]})


def _openai_error(err: APIError) -> Response:
    return JSONResponse(openai_error(err), status_code=err.status)


@router.post("/v1/rerank")
@api_route(_openai_error)
async def rerank_v1(request: Request) -> Response:
    req = parse_request(await request.body(), RerankRequest)
    _, replies, _ = await until_disconnected(request, _scores(request, req))
    return JSONResponse(_answer(req, req.model_name, replies).model_dump(exclude_none=True))
