"""OLLAMA_DEBUG_LOG_REQUESTS, as in Ollama: the body of every inference request (/api/generate, /api/chat,
/v1/chat/completions, /v1/completions, /v1/responses, /v1/messages) is written to a temporary directory
(`ollama-request-logs-*`), with a shell script that replays it with curl against this server; the log
says where each went. The files are the client's own bytes (0600): prompts, images, everything."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import os
import re
import shlex
import tempfile
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestReplayLog", "INFERENCE_ROUTES", "replay_dir"]

log = logging.getLogger("pollama")
INFERENCE_ROUTES = frozenset({"/api/generate", "/api/chat", "/v1/chat/completions", "/v1/completions",
                              "/v1/responses", "/v1/messages"})
_UNSAFE = re.compile(r"[^A-Za-z0-9]")


def replay_dir() -> Path:
    """A new directory for this server's request logs (logged, as Ollama does at start-up)."""
    path = Path(tempfile.mkdtemp(prefix="ollama-request-logs-"))
    log.info("request debug logging enabled; inference request logs will be stored in %s and include request "
             "bodies and replay curl commands", path)
    return path


class RequestReplayLog:
    """Keep a POST to an inference route's body as the app reads it; write it out once the request ends."""

    def __init__(self, app: ASGIApp, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self.counter = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in INFERENCE_ROUTES:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def kept() -> Message:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        try:
            await self.app(scope, kept, send)
        finally:
            await asyncio.to_thread(self._write, scope, b"".join(chunks))

    def _write(self, scope: Scope, body: bytes) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        route = scope["path"]
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%f")
        prefix = f"{stamp}000Z-{next(self.counter):06d}_{_UNSAFE.sub('_', route.lstrip('/')) or 'root'}"
        body_path, script_path = self.folder / f"{prefix}_body.json", self.folder / f"{prefix}_request.sh"
        url = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}{route}"
        content_type = headers.get("content-type") or "application/json"
        script = ('#!/bin/sh\nSCRIPT_DIR="$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)"\n'
                  f"curl --request POST --url {shlex.quote(url)} --header {shlex.quote('Content-Type: ' + content_type)}"
                  f' --data-binary @"${{SCRIPT_DIR}}/{body_path.name}"\n')
        try:
            _write_private(body_path, body)
            _write_private(script_path, script.encode())
        except OSError as e:
            log.warning("failed to write debug request log for %s: %s", route, e)
            return
        log.info("logged to %s, replay using curl with `sh %s`", body_path, script_path)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
