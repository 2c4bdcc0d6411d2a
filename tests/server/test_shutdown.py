"""SIGTERM/SIGINT on `pollama serve`: streams in flight end with an error line at once, the runners stop, and
the process exits within seconds."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from model_upload import create_from_gguf
from procinfo import children


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny.gguf", ctx=32768)


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_ends_streams_and_stops_runners(server_factory, tiny: Path,  # type: ignore[no-untyped-def]
                                                 sig: signal.Signals) -> None:
    s = server_factory()
    with s.client() as c:
        create_from_gguf(c, "tiny", tiny)
    body = {"model": "tiny", "prompt": "go", "raw": True,
            "options": {"temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 1, "num_predict": 1_000_000,
                        "num_ctx": 4096}}
    with httpx.Client(base_url=s.url, timeout=10) as c, c.stream("POST", "/api/generate", json=body) as r:
        lines = r.iter_lines()
        next(lines)
        (runner,) = children(s.proc.pid)
        t0 = time.monotonic()
        s.proc.send_signal(sig)
        last = json.loads([line for line in lines if line][-1])
        ended = time.monotonic() - t0
    assert last == {"error": "server is shutting down"} and ended < 3
    s.proc.wait(5)
    assert time.monotonic() - t0 < 5 and not alive(runner)
    assert "timeout graceful shutdown exceeded" not in s.logs()
