"""Every HTTP request, observed once when its response has ended (a streamed body included, or when its
client left): counted in the server's metrics, and written as one INFO line of the request log. The line
carries a request id, also sent back as `X-Request-Id` (a sane id the client sent is kept), and what the
request's code noted on its `RequestRecord` (pollama.reqctx): the model its body named, and the counts and
durations of what it generated. Routes never call the logger for it.

`route` is the matched path template, so that model names and digests in URLs do not make a metric series
each; a request no route took is "unmatched" (an unknown path, or one refused before routing: no API key, a
foreign Host or Origin, a body over the limit)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pollama import reqctx
from pollama.metrics import Metrics
from pollama.reqctx import RequestRecord

__all__ = ["RequestTracker", "UNMATCHED", "request_id"]

log = logging.getLogger("pollama.request")
UNMATCHED = "unmatched"
_HEADER = b"x-request-id"
_SANE_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_NS = 1e-9


def request_id(scope: Scope) -> str:
    """The client's X-Request-Id when it is 1-128 characters of letters, digits and `._:@/+=-`; else a new one."""
    sent = next((v for k, v in scope["headers"] if k == _HEADER), b"")
    return sent.decode() if _SANE_ID.fullmatch(sent) else uuid.uuid4().hex


class RequestTracker:
    """The outermost middleware: it sees every answer, a refusal's too."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        record = RequestRecord(request_id(scope))
        header = (_HEADER, record.id.encode())
        status, ended, failed = 500, False, False  # 500: what the client gets if nothing answers

        async def tracked(message: Message) -> None:
            nonlocal status, ended
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), header]}
            elif message["type"] == "http.response.body":
                ended = not message.get("more_body", False)
            await send(message)

        token = reqctx.start(record)
        try:
            await self.app(scope, receive, tracked)
        except BaseException:
            failed = True
            raise
        finally:
            reqctx.end(token)
            seconds = time.perf_counter() - t0
            method = scope["method"] if scope["method"] in _METHODS else "other"
            route = getattr(scope.get("route"), "path", UNMATCHED)
            self.metrics.request(method, route, status, seconds)
            outcome = "failed" if failed else "client closed" if not ended or status == 499 else "completed"
            log.info("request", extra=_fields(scope, route, status, seconds, record, outcome))


def _fields(scope: Scope, route: str, status: int, seconds: float, record: RequestRecord,
            outcome: str) -> dict[str, Any]:
    """The log line's fields: always the request's own, then the model and generation counts it noted."""
    client = scope.get("client")
    fields: dict[str, Any] = {
        "id": record.id, "method": scope["method"], "path": scope["path"], "route": route, "status": status,
        "duration_s": round(seconds, 6), "outcome": outcome, "client": client[0] if client else None,
    }
    if record.model is not None:
        fields["model"] = record.model
    if record.generations or record.prompt_eval_count:
        fields.update(prompt_eval_count=record.prompt_eval_count, eval_count=record.eval_count,
                      load_s=round(record.load_duration * _NS, 6),
                      prompt_eval_s=round(record.prompt_eval_duration * _NS, 6),
                      eval_s=round(record.eval_duration * _NS, 6))
    if record.cut:
        fields["cut"] = True
    if record.error is not None:
        fields["error"] = record.error
    return fields
