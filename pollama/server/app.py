"""The FastAPI application: routes, error shape, lifespan (store prune, scheduler)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from pollama import __version__
from pollama.api.errors import APIError
from pollama.config import Settings
from pollama.config import settings as read_settings
from pollama.store import Store

__all__ = ["create_app"]

log = logging.getLogger("pollama")


def create_app(cfg: Settings | None = None) -> FastAPI:
    cfg = cfg or read_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = cfg
        app.state.store = Store(cfg.models)
        cfg.models.mkdir(parents=True, exist_ok=True)
        if not _env_flag("OLLAMA_NOPRUNE"):
            removed = app.state.store.prune()
            if removed:
                log.info("pruned %d unused blobs", removed)
        scheduler = _make_scheduler(app)
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.shutdown()

    app = FastAPI(title="pollama", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)

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

    from pollama.server.middleware import install_middleware
    from pollama.server.models import router as models_router

    app.include_router(models_router)
    for module in ("pollama.server.generate", "pollama.server.openai", "pollama.server.anthropic"):
        try:
            mod = __import__(module, fromlist=["router"])
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        app.include_router(mod.router)
    install_middleware(app, cfg)
    return app


def _env_flag(name: str) -> bool:
    import os

    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _make_scheduler(app: FastAPI):  # type: ignore[no-untyped-def]
    try:
        from pollama.sched import Scheduler
    except ModuleNotFoundError as e:
        if e.name != "pollama.sched":
            raise
        return None
    return Scheduler(app.state.store, app.state.settings)
