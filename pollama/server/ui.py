"""GET /ui: the web chat page (pollama/ui: plain ES modules, CSS and the pinned libraries under vendor/),
served as files with a Content-Security-Policy that allows only this origin's scripts, styles and API (no
inline script, no other host). The API-key middleware lets these files through without a key: the page
asks for one and sends it on its API calls."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["router", "UI_DIR", "CSP"]

UI_DIR = Path(__file__).resolve().parent.parent / "ui"

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # attached images are shown from data: URLs
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidated (ETag) on every load, so an upgrade shows at once
}


class _PageFiles(StaticFiles):
    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(HEADERS)
        return response


_files = _PageFiles(directory=UI_DIR)
router = APIRouter(include_in_schema=False)


@router.api_route("/ui", methods=["GET", "HEAD"])
async def page(request: Request) -> Response:
    return await _files.get_response("index.html", request.scope)


@router.api_route("/ui/{path:path}", methods=["GET", "HEAD"])
async def asset(path: str, request: Request) -> Response:
    return await _files.get_response(path or "index.html", request.scope)
