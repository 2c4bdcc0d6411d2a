"""Start the real `pollama serve` on a free loopback port for integration tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

__all__ = ["free_port", "Server", "ServerFactory", "stop_process"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def stop_process(proc: subprocess.Popen[bytes] | None, grace: float = 5) -> None:
    """Terminate `proc` if it still runs; kill it if it has not exited after `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)

class Server:
    def __init__(self, models: Path, env: dict[str, str] | None = None, log: Path | None = None) -> None:
        self.port = free_port()
        self.models = Path(models)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "OLLAMA_HOST": f"127.0.0.1:{self.port}", "OLLAMA_MODELS": str(self.models),
                    "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log_path = log or self.models.parent / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "pollama", "serve"], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        stop_process(self.proc, 10)
        if getattr(self, "log", None):
            self.log.close()

    def client(self, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


# what the `module_server` and `server_factory` fixtures (tests/conftest.py) give: start(env, ...) -> Server
ServerFactory = Callable[..., Server]
