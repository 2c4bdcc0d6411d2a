"""`/api/pull` and `/api/push` of a running `pollama serve` against a real docker-registry."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
from registry_harness import Registry, collect, make_model
from server_proc import Server

from pollama.registry import pull, push
from pollama.store import Store, parse_name

pytestmark = pytest.mark.timeout(90)


def test_pull_and_push_routes(registry: Registry, server: Server, tmp_path: Path) -> None:
    src = Store(tmp_path / "src")
    name, manifest = make_model(src, f"{registry.host}/library/routed:latest", {"model": os.urandom(200_000)})
    assert asyncio.run(collect(push(src, name, insecure=True)))[-1] == {"status": "success"}

    with httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.post("/api/pull", json={"model": f"{registry.host}/library/routed", "insecure": True})
        assert r.status_code == 200
        events = [json.loads(line) for line in r.text.splitlines()]
        assert events[0] == {"status": "pulling manifest"} and events[-1] == {"status": "success"}
        layer = manifest.layers[0]
        assert {"status": f"pulling {layer.digest[7:19]}", "digest": layer.digest,
                "total": layer.size, "completed": layer.size} in events

        r = c.post("/api/pull", json={"model": f"{registry.host}/library/missing", "insecure": True})
        # as Ollama: the stream has begun, so the error is its last line
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        assert [json.loads(line) for line in r.text.splitlines()] == [
            {"status": "pulling manifest"}, {"error": "pull model manifest: file does not exist"}]

        assert c.post("/api/copy", json={"source": f"{registry.host}/library/routed",
                                         "destination": f"{registry.host}/team/copy"}).status_code == 200
        r = c.post("/api/push", json={"model": f"{registry.host}/team/copy", "insecure": True, "stream": False})
        assert r.status_code == 200 and r.json() == {"status": "success"}
        names = {m["name"] for m in c.get("/api/tags").json()["models"]}
        assert f"{registry.host}/library/routed:latest" in names

    pulled = Store(tmp_path / "again")
    copy = parse_name(f"{registry.host}/team/copy")
    assert asyncio.run(collect(pull(pulled, copy, insecure=True)))[-1] == {"status": "success"}
    assert pulled.read_manifest(copy).digests() == manifest.digests()
