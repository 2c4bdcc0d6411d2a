"""/api/tokenize and /api/detokenize: text to the model's token ids and back, by llama.cpp's tokenizer in the
model's runner (the one its generate or embed requests use, loaded like theirs through the scheduler).

The runner answers these ops on their own connection, outside the batch, so they take no sequence slot; the
scheduler still counts the request as active while it runs, which keeps the runner from being unloaded
under it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pollama.api.types import DetokenizeRequest, TokenizeRequest, parse_request
from pollama.inference import resolve_model
from pollama.inference.stream import model_options
from pollama.runner.client import RunnerProcess
from pollama.server.streaming import until_disconnected

__all__ = ["router"]

router = APIRouter()
T = TypeVar("T")


async def _with_runner(request: Request, req: TokenizeRequest | DetokenizeRequest,
                       call: Callable[[RunnerProcess], Awaitable[T]]) -> tuple[str, T]:
    """(the model's name, what `call` returned on its runner), the model loaded for it as for any request: the
    embedding runner for a model that does not generate (an embedding model, a reranker), a generation runner
    otherwise."""
    store, sched = request.app.state.store, request.app.state.scheduler
    model = await resolve_model(store, req.model_name)
    options = model_options(model, req.options)

    async def work() -> T:
        embedding = "completion" not in model.capabilities
        async with sched.use(model, options, req.keep_alive, embedding=embedding) as (loaded, _):
            return await call(loaded.runner)

    return model.name.display, await until_disconnected(request, work())


@router.post("/api/tokenize")
async def tokenize(request: Request) -> Response:
    req = parse_request(await request.body(), TokenizeRequest)
    name, tokens = await _with_runner(request, req, lambda runner: runner.tokenize(
        req.content, special=req.parse_special, add_special=req.add_special))
    return JSONResponse({"model": name, "tokens": tokens})


@router.post("/api/detokenize")
async def detokenize(request: Request) -> Response:
    req = parse_request(await request.body(), DetokenizeRequest)
    name, content = await _with_runner(request, req, lambda runner: runner.detokenize(req.tokens))
    return JSONResponse({"model": name, "content": content})
