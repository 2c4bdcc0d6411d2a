"""`pollama run` of a model that is not there yet: it is pulled from a real registry (docker-registry on
loopback, plain HTTP, so only `--insecure` reaches it), then answers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from model_upload import create_from_gguf
from registry_harness import Registry
from server_proc import Server

GREEDY = {"temperature": 0, "num_predict": 8, "seed": 7}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, tiny_llama: Path) -> Iterator[tuple[Server, str]]:
    """A server with nothing local, and `<registry>/library/tiny:latest` waiting in the registry."""
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    remote = f"{reg.host}/library/tiny"
    try:
        with Server(tmp_path_factory.mktemp("run") / "models", {"OLLAMA_NUM_PARALLEL": "1"}) as s:
            with s.client() as c:
                create_from_gguf(c, remote, tiny_llama, parameters=GREEDY)
                r = c.post("/api/push", json={"model": remote, "insecure": True, "stream": False})
                assert r.status_code == 200 and r.json() == {"status": "success"}, r.text
                assert c.request("DELETE", "/api/delete", json={"model": remote}).status_code == 200
                assert c.get("/api/tags").json()["models"] == []
            yield s, remote
    finally:
        reg.stop()


def run(srv: Server, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OLLAMA_HOST": srv.url, "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pollama", "run", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def manifests(srv: Server) -> list[Path]:
    return sorted(p for p in (srv.models / "manifests").rglob("*") if p.is_file())


def test_run_pulls_a_missing_model_then_answers(setup: tuple[Server, str], tmp_path: Path) -> None:
    srv, remote = setup
    # plain HTTP without --insecure: the pull fails, the run stops with the error and nothing is stored
    r = run(srv, tmp_path, remote, "hello")
    assert r.returncode == 1 and r.stderr.strip().splitlines()[-1].startswith("Error: pull model manifest"), r.stderr
    assert manifests(srv) == []

    r = run(srv, tmp_path, remote, "--insecure", "hello")
    assert r.returncode == 0, r.stderr
    assert "pulling manifest" in r.stderr and "success" in r.stderr  # progress goes to stderr, as Ollama's
    with srv.client() as c:
        names = [m["name"] for m in c.get("/api/tags").json()["models"]]
        answer = c.post("/api/chat", json={"model": remote, "stream": False,
                                           "messages": [{"role": "user", "content": "hello"}]}).json()
    assert names == [f"{remote}:latest"]
    assert answer["message"]["content"].strip() and r.stdout == answer["message"]["content"] + "\n\n"

    r = run(srv, tmp_path, remote, "hello")  # now local: no pull, no registry needed
    assert r.returncode == 0 and "pulling" not in r.stderr and r.stdout == answer["message"]["content"] + "\n\n"
