"""The real app under uvicorn in a thread of the test process, for tests that must reach into it: call its
Store (prune) while it serves, or monkeypatch what it calls (fault injection)."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from server_proc import free_port

from pollama.config import parse_host, settings
from pollama.server.app import create_app
from pollama.store import Store

__all__ = ["AppThread"]


class AppThread:
    def __init__(self, models: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cfg = dataclasses.replace(settings(), models=Path(models), host=parse_host(f"127.0.0.1:{self.port}"))
        self.app = create_app(cfg)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                timeout_graceful_shutdown=3)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="app-under-test", daemon=True)

    @property
    def store(self) -> Store:
        return self.app.state.store

    def __enter__(self) -> AppThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    def client(self, timeout: float = 60.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)
