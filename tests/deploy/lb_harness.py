"""deploy/haproxy/haproxy.cfg as shipped, run by Debian's haproxy on loopback in front of pollama replicas."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
from polling import wait_until
from server_proc import Server, free_port, stop_process

__all__ = ["CONFIG", "HAProxy", "loaded_on"]

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy" / "haproxy.cfg"


class HAProxy:
    """`haproxy -db -f deploy/haproxy/haproxy.cfg` with the two replica addresses it reads from the environment."""

    def __init__(self, replicas: list[Server], log: Path) -> None:
        assert len(replicas) == 2, "the shipped config names two replicas"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "POLLAMA_LB_BIND": f"127.0.0.1:{self.port}",
                    **{f"POLLAMA_REPLICA_{i + 1}": f"127.0.0.1:{r.port}" for i, r in enumerate(replicas)}}
        self.log_path = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> HAProxy:
        exe = shutil.which("haproxy") or "/usr/sbin/haproxy"
        assert os.path.exists(exe), "haproxy is not installed (scripts/install.sh --test installs Debian's)"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([exe, "-db", "-f", str(CONFIG)], env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        assert wait_until(lambda: self._listening() or self.proc.poll() is not None, 10), "haproxy did not start"
        assert self.proc.poll() is None, self.log_path.read_text()
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.proc)
        if getattr(self, "log", None):
            self.log.close()


def loaded_on(replicas: list[Server], model: str) -> list[int]:
    """The indexes of the replicas that have `model` loaded (asked directly, not through the balancer)."""
    return [i for i, r in enumerate(replicas)
            if any(m["name"] == model for m in httpx.get(r.url + "/api/ps", timeout=10).json()["models"])]
