"""The FastAPI application: routes, error shape, lifespan (store prune, scheduler)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pollama import __version__
from pollama.api.errors import APIError
from pollama.config import Settings
from pollama.config import settings as read_settings
from pollama.metrics import Metrics
from pollama.sched import Scheduler
from pollama.server import anthropic, generate, models, openai, rerank, responses, status, tokenize, ui
from pollama.server import metrics as server_metrics
from pollama.server.middleware import install_middleware
from pollama.server.openapi import install_openapi
from pollama.server.replaylog import RequestReplayLog, replay_dir
from pollama.server.reqlog import RequestTracker
from pollama.store import Store

__all__ = ["create_app", "LastResort"]

log = logging.getLogger("pollama")


def create_app(cfg: Settings | None = None) -> FastAPI:
    """The server for `cfg` (the environment's settings when not given): at start-up it builds the Store and
    the Scheduler from it, and keeps it as `app.state.settings`."""
    cfg = cfg or read_settings()
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = cfg
        app.state.store = Store(cfg.models, noprune=cfg.noprune)
        cfg.models.mkdir(parents=True, exist_ok=True)
        if not cfg.noprune:
            removed = app.state.store.prune()
            if removed:
                log.info("pruned %d unused blobs", removed)
        app.state.scheduler = scheduler = Scheduler(app.state.store, cfg, metrics)
        metrics.watch(scheduler)
        try:
            yield
        finally:
            await scheduler.shutdown()

    app = FastAPI(title="pollama", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.metrics = metrics

    @app.exception_handler(APIError)
    async def _api_error(_: Request, exc: APIError) -> Response:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"error": str(exc.errors()[0].get("msg", "invalid request"))}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return PlainTextResponse("404 page not found", status_code=404)
        if exc.status_code == 405:
            return JSONResponse({"error": "method not allowed"}, status_code=405)
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.api_route("/", methods=["GET", "HEAD"])
    async def root() -> Response:
        return PlainTextResponse("Ollama is running")

    @app.api_route("/api/version", methods=["GET", "HEAD"])
    async def version() -> Response:
        return JSONResponse({"version": __version__})

    for module in (models, generate, openai, responses, anthropic, tokenize, rerank, status, ui):
        app.include_router(module.router)
    if cfg.metrics:
        app.include_router(server_metrics.router)
    if cfg.debug_log_requests:  # innermost: the requests that passed the checks
        app.add_middleware(RequestReplayLog, folder=replay_dir())
    install_middleware(app, cfg)
    app.add_middleware(LastResort)
    if cfg.metrics:  # outermost: it sees every answer, a refusal's too
        app.add_middleware(RequestTracker, metrics=metrics)
    install_openapi(app)
    return app


class LastResort:
    """Answer an exception no handler took with a JSON 500 `{"error": ...}` (its traceback goes to the
    log) and return normally: an `exception_handler(Exception)` would run in Starlette's
    ServerErrorMiddleware, which re-raises, and uvicorn then closes the kept-alive connection. An
    exception after the response started is re-raised: that response is cut short, so must be the
    connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started or scope["type"] != "http":
                raise
            if isinstance(exc, APIError):  # raised outside the routes (a middleware): its own status
                response = JSONResponse({"error": exc.message}, status_code=exc.status)
            else:
                log.exception("%s %s failed", scope.get("method"), scope.get("path"))
                response = JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=500)
            await response(scope, receive, send)

