"""`pollama push/pull NAME --insecure` as a user runs them against a real docker-registry, and a pull
that resumes after its server was killed (SIGKILL) in the middle of a download."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from registry_harness import Front, Registry, blob_files, make_model
from server_proc import Server

from pollama.registry.download import partial_paths
from pollama.store import Store, parse_name

pytestmark = pytest.mark.timeout(120)


@pytest.fixture()
def no_creds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for servers and the CLI: anonymous, whatever the developer's own setup says."""
    env = {"POLLAMA_REGISTRY_USERNAME": "", "POLLAMA_REGISTRY_AUTH_FILE": str(tmp_path / "none.json")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OLLAMA_HOST": server.url, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "pollama", *args], env=env, capture_output=True, text=True,
                          timeout=90)


def test_cli_create_push_rm_pull_then_generate(registry: Registry, server_factory: Callable[..., Server],
                                               no_creds: dict[str, str], tmp_path: Path) -> None:
    server = server_factory(no_creds)
    work = tmp_path / "work"
    make_tiny_llama(work / "tiny.gguf")
    (work / "Modelfile").write_text('FROM ./tiny.gguf\nSYSTEM "Be brief."\nPARAMETER temperature 0\n')
    name = f"{registry.host}/team/tiny:latest"
    r = subprocess.run([sys.executable, "-m", "pollama", "create", name], cwd=work, capture_output=True,
                       text=True, timeout=90, env={**os.environ, "OLLAMA_HOST": server.url})
    assert r.returncode == 0, r.stderr
    store = Store(server.models)
    parsed = parse_name(name)
    raw = store.manifest_path(parsed).read_bytes()
    digests = store.read_manifest(parsed).digests()

    r = cli(server, "push", name, "--insecure")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    manifest = store.read_manifest(parsed)
    layers = (*manifest.layers, manifest.config)
    assert lines[0] == "retrieving manifest" and lines[-2:] == ["pushing manifest", "success"]
    assert [line.split()[:2] for line in lines[1:-2]] == [["pushing", la.digest[7:19]] for la in layers]

    r = cli(server, "rm", name)
    assert r.returncode == 0, r.stderr
    assert not store.exists(parsed) and not set(blob_files(store)) & {d.replace(":", "-") for d in digests}

    r = cli(server, "pull", name, "--insecure")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "pulling manifest"  # then a finished bar per layer, in Ollama's order
    assert [line.split()[:2] for line in lines[1:-3]] == [["pulling", la.digest[7:19]] for la in layers]
    assert lines[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    weights = lines[1].split()
    assert weights[3:5] == ["27.3/27.3", "MB"] and weights[-1] == "0:00:00", lines[1]  # size .. ETA
    assert store.manifest_path(parsed).read_bytes() == raw  # identical digests, byte for byte

    with server.client() as http:  # the pulled model is a working model
        out = http.post("/api/generate", json={"model": name, "prompt": "Hello", "stream": False,
                                                "options": {"num_predict": 3, "seed": 1}})
        assert out.status_code == 200, out.text
        assert out.json()["done"] and out.json()["eval_count"] >= 1

    r = cli(server, "pull", f"{registry.host}/team/missing", "--insecure")
    assert r.returncode == 1
    assert r.stderr.strip().endswith("Error: pull model manifest: file does not exist")
    r = cli(server, "push", f"{registry.host}/team/missing", "--insecure")
    assert r.returncode == 1 and "not found" in r.stderr
    r = cli(server, "pull", f"{registry.host}/team/tiny")  # plain http needs --insecure
    assert r.returncode == 1 and r.stderr.startswith("Error: pull model manifest:")


def test_pull_resumes_after_the_server_was_killed(registry: Registry, server_factory: Callable[..., Server],
                                                  no_creds: dict[str, str], tmp_path: Path) -> None:
    front = Front(registry).start()
    try:
        src = Store(tmp_path / "src")
        weights = os.urandom(3 << 20)
        name, manifest = make_model(src, f"{front.host}/lib/killed:latest", {"model": weights})
        publisher = server_factory(no_creds, models=src.root)
        with publisher.client() as http:
            assert http.post("/api/push", json={"model": str(name), "insecure": True,
                                                "stream": False}).json() == {"status": "success"}
        publisher.stop()
        digest = manifest.layers[0].digest
        models = tmp_path / "dst"
        front.delay = 0.15  # ~7 s for the blob (one part, 64 KiB chunks): the sidecar is saved every second
        front.reset()

        first = server_factory(no_creds, models=models)
        started = None
        with first.client() as http, http.stream("POST", "/api/pull",
                                                 json={"model": str(name), "insecure": True}) as resp:
            for line in resp.iter_lines():
                event = json.loads(line)
                if event.get("digest") == digest and event["completed"] > 0:
                    started = started or time.monotonic()
                    if time.monotonic() - started > 2.5:
                        first.proc.kill()  # SIGKILL: no cleanup, no final sidecar save
                        first.proc.wait(5)
                        break
        assert started is not None and first.proc.returncode == -9
        store = Store(models)
        partial, state = partial_paths(store, digest)
        have = sum(e - s for s, e in json.loads(state.read_text())["have"])
        assert 0 < have < len(weights)
        assert not store.exists(name) and not store.has_blob(digest)

        front.delay = 0
        front.reset()
        second = server_factory(no_creds, models=models)
        with second.client() as http:
            r = http.post("/api/pull", json={"model": str(name), "insecure": True, "stream": False})
        assert r.status_code == 200 and r.json() == {"status": "success"}
        assert front.blob_bytes[digest] == len(weights) - have  # only what the sidecar lacked
        assert store.blob_path(digest).read_bytes() == weights
        assert not partial.exists() and not state.exists()
    finally:
        front.stop()


def test_pull_and_push_routes_reject_bad_input_without_touching_the_store(server: Server) -> None:
    before = sorted(p.relative_to(server.models) for p in server.models.rglob("*"))
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for path in ("/api/pull", "/api/push"):
            for body, status in ((b"{}", 400), (b"not json", 400), (b'{"model": "a/b/c/d/e"}', 400),
                                 (b'{"model": "x", "insecure": "maybe"}', 400), (b"[]", 400)):
                r = http.post(path, content=body)
                assert r.status_code == status and set(r.json()) == {"error"}, (path, body, r.text)
        r = http.post("/api/push", json={"model": "127.0.0.1:1/team/absent", "insecure": True})
        assert r.status_code == 404 and r.json() == {"error": "model '127.0.0.1:1/team/absent' not found"}
        r = http.post("/api/pull", json={"model": "127.0.0.1:1/team/absent", "insecure": True, "stream": False})
        assert r.status_code == 500 and r.json()["error"].startswith("pull model manifest: ")
    assert sorted(p.relative_to(server.models) for p in server.models.rglob("*")) == before
