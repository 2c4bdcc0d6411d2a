"""OLLAMA_DEBUG_LOG_REQUESTS, as in Ollama: each inference request's body goes to a temporary directory with a
curl script that replays it; the script, run, gets the same answer from the server."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from server_proc import ServerFactory

pytestmark = pytest.mark.timeout(120)


def test_inference_bodies_are_kept_with_a_replay_script(module_server: ServerFactory, tiny_llama: Path,
                                                        tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    srv = module_server({"OLLAMA_DEBUG_LOG_REQUESTS": "1", "TMPDIR": str(tmp)}, {"tiny": tiny_llama})
    body = json.dumps({"model": "tiny", "prompt": "replay me", "raw": True, "stream": False,
                       "options": {"num_predict": 4, "temperature": 0}}).encode()
    with srv.client() as c:
        first = c.post("/api/generate", content=body, headers={"Content-Type": "application/json"})
        assert c.post("/api/show", json={"model": "tiny"}).status_code == 200  # not an inference route
    assert first.status_code == 200, first.text
    (folder,) = tmp.glob("ollama-request-logs-*")
    assert f"inference request logs will be stored in {folder}" in srv.logs()
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 2 and all(re.fullmatch(r"\d{8}T\d{6}\.\d{9}Z-000001_api_generate_(body\.json|request\.sh)",
                                                f) for f in files), files
    saved, script = folder / files[0], folder / files[1]
    assert saved.read_bytes() == body
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in (saved, script))
    assert f"logged to {saved}, replay using curl with `sh {script}`" in srv.logs()
    replayed = subprocess.run(["sh", str(script)], capture_output=True, timeout=60, check=True)
    again = json.loads(replayed.stdout)
    assert (again["response"], again["eval_count"]) == (first.json()["response"], first.json()["eval_count"])
