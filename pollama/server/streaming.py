"""NDJSON responses the way Ollama streams them, and the stream=false collapse."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import JSONResponse, Response, StreamingResponse

from pollama.api.errors import APIError

__all__ = ["ndjson_or_single", "error_response", "dumps"]

log = logging.getLogger("pollama")


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
) -> Response:
    """Stream `items` as NDJSON, or (stream=False) answer with one object.

    An error before the first item becomes an HTTP error status; after it, an `{"error": ...}` line, as
    Ollama does. `collapse` merges all items into the single non-streamed object (default: the last one).
    """
    try:
        first = await anext(items)
    except StopAsyncIteration:
        first = None
    except APIError as e:
        return error_response(e)
    if not stream:
        collected = [first] if first is not None else []
        try:
            async for item in items:
                collected.append(item)
        except APIError as e:
            return error_response(e)
        if not collected:
            return JSONResponse({})
        return JSONResponse(collapse(collected) if collapse else collected[-1])

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
