"""GET /metrics (Prometheus' text format, from the app's own registry) and the middleware that counts every
HTTP request by its route (the matched path template, so that model names and digests in URLs do not
make a series each) and status. A request no route took is "unmatched": an unknown path, or one refused
before routing (no API key, a foreign Host or Origin, a body over the limit)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pollama.metrics import Metrics

__all__ = ["router", "RequestMetrics"]

router = APIRouter()
UNMATCHED = "unmatched"


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Count each HTTP request once, when its response has ended (a streamed one included)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500  # what the client gets if nothing answers

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            self.metrics.request(scope["method"], route, status, time.perf_counter() - t0)
