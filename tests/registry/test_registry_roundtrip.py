"""Push and pull against a real, anonymous docker-registry (distribution 2.8) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from registry_harness import Registry, blob_files, collect, make_model

from pollama.config import settings
from pollama.registry import RegistryError, pull, push
from pollama.store import Store, parse_name

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POLLAMA_REGISTRY_USERNAME", raising=False)
    monkeypatch.setenv("POLLAMA_REGISTRY_AUTH_FILE", str(tmp_path / "none.json"))


def test_push_then_pull_round_trip_is_byte_identical(registry: Registry, tmp_path: Path) -> None:
    src = Store(tmp_path / "src")
    weights = os.urandom(3 << 20)
    name, manifest = make_model(src, f"{registry.host}/library/tiny:latest", {
        "model": weights, "template": b"{{ .Prompt }}", "params": b'{"temperature":0.1}',
    })
    raw = src.manifest_path(name).read_bytes()

    pushed = asyncio.run(collect(push(src, name, insecure=True)))
    statuses = [e["status"] for e in pushed]
    assert statuses[0] == "retrieving manifest" and statuses[-2:] == ["pushing manifest", "success"]
    for layer in (*manifest.layers, manifest.config):
        mine = [e for e in pushed if e.get("digest") == layer.digest]
        assert mine and mine[-1] == {"status": f"pushing {layer.digest[7:19]}", "digest": layer.digest,
                                     "total": layer.size, "completed": layer.size}
        assert all(e["completed"] <= e["total"] for e in mine)

    # a second push finds every blob present and still succeeds
    again = asyncio.run(collect(push(src, name, insecure=True)))
    assert again[-1] == {"status": "success"}
    present = {e["digest"]: e for e in again if "digest" in e}  # as Ollama: each blob reported done at once
    assert set(present) == manifest.digests()
    assert all(e["completed"] == e["total"] for e in present.values())

    dst = Store(tmp_path / "dst")
    pulled = asyncio.run(collect(pull(dst, parse_name(f"{registry.host}/library/tiny"), insecure=True)))
    statuses = [e["status"] for e in pulled]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    for layer in (*manifest.layers, manifest.config):
        mine = [e for e in pulled if e.get("digest") == layer.digest]
        assert mine[-1] == {"status": f"pulling {layer.digest[7:19]}", "digest": layer.digest,
                            "total": layer.size, "completed": layer.size}
    assert dst.manifest_path(name).read_bytes() == raw
    assert dst.read_manifest(name).digests() == manifest.digests()
    for digest in manifest.digests():
        assert dst.blob_path(digest).read_bytes() == src.blob_path(digest).read_bytes()
    assert blob_files(dst) == sorted(d.replace(":", "-") for d in manifest.digests())  # no partials left

    # pulling again downloads nothing and reports every layer complete at once
    again = asyncio.run(collect(pull(dst, name, insecure=True)))
    assert again[-1] == {"status": "success"}
    assert [e["completed"] for e in again if "digest" in e] == [e["total"] for e in again if "digest" in e]


def test_pull_unknown_model_is_404_and_writes_nothing(registry: Registry, tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(pull(store, parse_name(f"{registry.host}/library/nope:latest"), insecure=True)))
    assert e.value.status == 404
    assert str(e.value) == "pull model manifest: file does not exist"
    assert not store.manifests.exists() or not any(store.manifests.rglob("*"))


def test_pull_replacing_a_tag_removes_blobs_only_the_old_version_used(registry: Registry, tmp_path: Path) -> None:
    src = Store(tmp_path / "src")
    name, v1 = make_model(src, f"{registry.host}/team/evolving:latest", {"model": b"v1" * 1000, "system": b"a"})
    asyncio.run(collect(push(src, name, insecure=True)))
    dst = Store(tmp_path / "dst")
    asyncio.run(collect(pull(dst, name, insecure=True)))
    _, v2 = make_model(src, str(name), {"model": b"v2" * 1000, "system": b"a"})
    asyncio.run(collect(push(src, name, insecure=True)))
    events = asyncio.run(collect(pull(dst, name, insecure=True)))
    assert [e["status"] for e in events[-4:]] == [
        "verifying sha256 digest", "writing manifest", "removing unused layers", "success"]
    assert dst.read_manifest(name).digests() == v2.digests()
    assert not dst.has_blob(v1.layers[0].digest)
    assert dst.has_blob(v2.layers[1].digest)  # shared "system" layer kept


def test_pull_keeps_old_blobs_with_ollama_noprune(registry: Registry, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    src = Store(tmp_path / "src")
    name, v1 = make_model(src, f"{registry.host}/team/kept:latest", {"model": b"k1" * 1000})
    asyncio.run(collect(push(src, name, insecure=True)))
    dst = Store(tmp_path / "dst")
    asyncio.run(collect(pull(dst, name, insecure=True)))
    make_model(src, str(name), {"model": b"k2" * 1000})
    asyncio.run(collect(push(src, name, insecure=True)))
    monkeypatch.setenv("OLLAMA_NOPRUNE", "1")
    dst = Store(dst.root, noprune=settings().noprune)  # as the server builds its store under OLLAMA_NOPRUNE
    events = asyncio.run(collect(pull(dst, name, insecure=True)))
    assert "removing unused layers" not in [e["status"] for e in events]
    assert dst.has_blob(v1.layers[0].digest)


def test_connection_refused_is_a_registry_error(tmp_path: Path) -> None:
    from registry_harness import free_port

    name = parse_name(f"127.0.0.1:{free_port()}/library/tiny:latest")
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(pull(Store(tmp_path), name, insecure=True)))
    assert e.value.status == 500 and "pull model manifest" in str(e.value)


def test_https_is_the_default_scheme(registry: Registry, tmp_path: Path) -> None:
    # without `insecure` the client speaks TLS, which the plain-http registry cannot answer
    with pytest.raises(RegistryError):
        asyncio.run(collect(pull(Store(tmp_path), parse_name(f"{registry.host}/library/tiny"))))
