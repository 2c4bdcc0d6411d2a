"""No runner outlives its server, however the server ends: SIGTERM and SIGINT stop it on the way out, and
after SIGKILL the runner notices its parent is gone and exits by itself (Linux: /proc)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from model_upload import create_from_gguf
from procinfo import children


def running(pid: int) -> bool:
    """`pid` exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_runner_exits_with_its_server(server_factory, tiny_llama: Path,  # type: ignore[no-untyped-def]
                                      sig: signal.Signals) -> None:
    s = server_factory()
    with s.client(timeout=60) as http:
        create_from_gguf(http, "tiny", tiny_llama)
        r = http.post("/api/generate", json={"model": "tiny", "keep_alive": -1})
        assert r.status_code == 200 and r.json()["done_reason"] == "load", r.text
    runners = children(s.proc.pid)
    assert runners and all(running(p) for p in runners)
    s.proc.send_signal(sig)
    s.proc.wait(10)
    deadline = time.monotonic() + 5
    while any(running(p) for p in runners) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in runners if running(p)], f"runners left after {sig.name}"


def test_a_runner_whose_server_died_before_it_started_exits(tiny_llama: Path) -> None:
    # the server names itself in the environment, so even a parent gone before the runner's first line
    # (the runner then belongs to init) is noticed
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    env = {**os.environ, "POLLAMA_RUNNER_PARENT": str(gone.pid)}
    runner = subprocess.Popen([sys.executable, "-m", "pollama.runner", "--model", str(tiny_llama)], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert runner.wait(10) == 1
    finally:
        runner.kill()
