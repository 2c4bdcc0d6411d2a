"""GET /api/status: Ollama's server status, today whether its cloud features are disabled and by what.

pollama runs no cloud models and has no web search, so `disabled` is always true: a client (Ollama's
`launch`, its app's tools) must not offer what this server refuses. `source` says, as in Ollama, which
setting disables them too: `OLLAMA_NO_CLOUD` ("env"), `"disable_ollama_cloud": true` in
~/.ollama/server.json ("config"), "both", or "none". Both are read once, at start-up.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from pollama.api.types import CloudStatus, StatusResponse
from pollama.config import Settings

__all__ = ["router", "cloud_status"]

router = APIRouter()


def cloud_status(cfg: Settings) -> CloudStatus:
    env, config = cfg.no_cloud_env, cfg.no_cloud_config
    source = "both" if env and config else "env" if env else "config" if config else "none"
    return CloudStatus(disabled=True, source=source)


@router.get("/api/status", response_model=StatusResponse)
async def status(request: Request) -> StatusResponse:
    return StatusResponse(cloud=cloud_status(request.app.state.settings))
