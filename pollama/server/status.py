"""GET /api/status: Ollama's server status, today whether its cloud features are disabled and by what.

As in Ollama, `OLLAMA_NO_CLOUD` and `"disable_ollama_cloud": true` in ~/.ollama/server.json each disable
them; `source` names which did ("none", "env", "config" or "both"). Both are read once, at start-up.
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
    return CloudStatus(disabled=env or config, source=source)


@router.get("/api/status", response_model=StatusResponse)
async def status(request: Request) -> StatusResponse:
    return StatusResponse(cloud=cloud_status(request.app.state.settings))
