"""How a route answers, on every API surface: one streamed or single answer from an iterator of items
(`respond`), framed by the surface's `Encoder`; errors before a response exists in the surface's shape
(`api_route`); the request body as a JSON object (`json_body`); and cancelling a request's work when its
client disconnects (`until_disconnected`)."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, ClassVar, Generic, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from pollama.api.errors import APIError, BadRequest
from pollama.api.types import json_object
from pollama.reqctx import note_error

__all__ = ["Encoder", "NDJSON", "respond", "ndjson_or_single", "api_route", "json_body", "dumps", "collect",
           "aclose", "until_disconnected", "ClientDisconnected", "sse_event"]

log = logging.getLogger("pollama")
T = TypeVar("T")
Handler = Callable[..., Awaitable[Response]]


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


async def aclose(items: AsyncIterator[Any]) -> None:
    """Close `items` early (an async generator's cleanup runs: a runner connection closes, a scheduler
    slot is released); an iterator that cannot be closed is left alone."""
    close = getattr(items, "aclose", None)
    if close is not None:
        await close()


async def collect(items: AsyncIterator[T]) -> list[T]:
    """All of `items`, closing the iterator however it ends."""
    try:
        return [item async for item in items]
    finally:
        await aclose(items)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def sse_event(name: str, payload: dict[str, Any]) -> bytes:
    """One named server-sent event (`event: name` and its JSON `data:` line)."""
    return f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


# ---- one answer, streamed or not -----------------------------------------------------------------
class Encoder(Generic[T]):
    """How one API surface writes its answers: the frames of each streamed item, the end of a stream,
    the single answer of a request that is not streamed, and errors (Ollama's `{"error": ...}` here)."""

    media_type: ClassVar[str] = "application/x-ndjson"
    headers: ClassVar[dict[str, str]] = {}

    def frames(self, item: T) -> Iterable[bytes]:
        raise NotImplementedError

    def end(self) -> bytes:
        """What follows the last item of a stream that did not fail."""
        return b""

    def single(self, items: list[T]) -> Response:
        raise NotImplementedError

    def error_body(self, err: APIError) -> dict[str, Any]:
        return {"error": err.message}

    def error_frame(self, err: APIError) -> bytes:
        return dumps(self.error_body(err))

    def error_response(self, err: APIError) -> Response:
        return JSONResponse(self.error_body(err), status_code=err.status)


class NDJSON(Encoder[dict[str, Any]]):
    """Ollama's streams of JSON objects; `collapse` merges them into the single answer (default: the last)."""

    def __init__(self, collapse: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None) -> None:
        self.collapse = collapse

    def frames(self, item: dict[str, Any]) -> Iterable[bytes]:
        return (dumps(item),)

    def single(self, items: list[dict[str, Any]]) -> Response:
        if not items:
            return JSONResponse({})
        return JSONResponse(self.collapse(items) if self.collapse else items[-1])


async def respond(request: Request | None, items: AsyncIterator[T], encoder: Encoder[T],
                  stream: bool) -> Response:
    """Answer with `items`: a stream of the encoder's frames, or (stream=False) its single answer.

    An error before the first item becomes an HTTP error; after it, an error frame ends the stream. A
    client that disconnects before its answer (or the first item) cancels the work (`request`; None for
    callers without one)."""
    try:
        if not stream:
            return encoder.single(await until_disconnected(request, collect(items)))
        first = await until_disconnected(request, anext(items, None))
    except APIError as e:
        await aclose(items)
        return encoder.error_response(e)
    return StreamingResponse(_frames(first, items, encoder), media_type=encoder.media_type,
                             headers=encoder.headers)


async def _frames(first: T | None, items: AsyncIterator[T], encoder: Encoder[T]) -> AsyncIterator[bytes]:
    try:
        if first is not None:
            for frame in encoder.frames(first):
                yield frame
        async for item in items:
            for frame in encoder.frames(item):
                yield frame
        if end := encoder.end():
            yield end
    except Exception as e:  # mid-stream: the status line is already sent
        if not isinstance(e, APIError):
            log.exception("stream failed")
        err = e if isinstance(e, APIError) else APIError(f"{type(e).__name__}: {e}")
        note_error(err.message)  # the request log's line shows it: the status was 200
        yield encoder.error_frame(err)
    finally:
        await aclose(items)


async def ndjson_or_single(items: AsyncIterator[dict[str, Any]], stream: bool,
                           collapse: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None,
                           request: Request | None = None) -> Response:
    """Ollama's answer of a stream of objects (create, pull, push): NDJSON, or one object."""
    return await respond(request, items, NDJSON(collapse), stream)


# ---- routes of the surfaces with their own error shapes -------------------------------------------
def api_route(error_response: Callable[[APIError], Response]) -> Callable[[Handler], Handler]:
    """A decorator answering what a route raises before its response exists with `error_response`: an
    APIError with its status, anything else (a bug) as a 500, logged."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(*args: Any, **kwargs: Any) -> Response:
            try:
                return await handler(*args, **kwargs)
            except APIError as e:
                return error_response(e)
            except Exception as e:
                log.exception("request failed")
                return error_response(APIError(f"{type(e).__name__}: {e}"))

        return wrapped

    return decorate


async def json_body(request: Request, empty: str) -> dict[str, Any]:
    """The request body, a JSON object; BadRequest(`empty`) when there is none."""
    raw = await request.body()
    if not raw.strip():
        raise BadRequest(empty)
    return json_object(raw)
