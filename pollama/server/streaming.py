"""NDJSON responses the way Ollama streams them, the stream=false collapse, and cancelling a request's
work when its client disconnects."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from pollama.api.errors import APIError

__all__ = ["ndjson_or_single", "error_response", "dumps", "collect", "until_disconnected",
           "ClientDisconnected"]

log = logging.getLogger("pollama")
T = TypeVar("T")


class ClientDisconnected(APIError):
    """The client went away before its answer was ready; no one reads this error."""

    status = 499  # nginx's "client closed request"

    def __init__(self) -> None:
        super().__init__("client disconnected")


async def _disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def until_disconnected(request: Request | None, work: Awaitable[T]) -> T:
    """`await work`, unless the client disconnects first: then `work` is cancelled (its runner stops
    generating, a request still waiting in the scheduler's queue leaves it) and ClientDisconnected is
    raised. Call it once the request body has been read; `request=None` just awaits `work`."""
    if request is None:
        return await work
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait((task, watch), return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
        gone = not task.done()
        if gone:
            task.cancel()
            await asyncio.wait((task,))  # its cleanup (runner connection, scheduler slot) is done
    if gone:
        if not task.cancelled():
            task.exception()  # whatever the cancelled work raised: no one is left to tell
        raise ClientDisconnected()
    return task.result()


async def collect(items: AsyncIterator[T]) -> list[T]:
    """All of `items`, closing the iterator however it ends."""
    try:
        return [item async for item in items]
    finally:
        await items.aclose()


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def error_response(err: APIError) -> JSONResponse:
    return JSONResponse({"error": err.message}, status_code=err.status)


def _error_text(e: BaseException) -> str:
    return e.message if isinstance(e, APIError) else f"{type(e).__name__}: {e}"


async def ndjson_or_single(
    items: AsyncIterator[dict[str, Any]],
    stream: bool,
    collapse: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None,
    request: Request | None = None,
) -> Response:
    """Stream `items` as NDJSON, or (stream=False) answer with one object.

    An error before the first item becomes an HTTP error status; after it, an `{"error": ...}` line, as
    Ollama does. `collapse` merges all items into the single non-streamed object (default: the last one).
    With `request`, a client that disconnects before its answer (or its first line) cancels the work.
    """
    try:
        if not stream:
            collected = await until_disconnected(request, collect(items))
            if not collected:
                return JSONResponse({})
            return JSONResponse(collapse(collected) if collapse else collected[-1])
        first = await until_disconnected(request, anext(items, None))
    except APIError as e:
        await items.aclose()
        return error_response(e)

    async def body() -> AsyncIterator[bytes]:
        if first is not None:
            yield dumps(first)
        try:
            async for item in items:
                yield dumps(item)
        except Exception as e:  # mid-stream: the status line is already sent
            if not isinstance(e, APIError):
                log.exception("stream failed")
            yield dumps({"error": _error_text(e)})
        finally:
            await items.aclose()

    return StreamingResponse(body(), media_type="application/x-ndjson")
