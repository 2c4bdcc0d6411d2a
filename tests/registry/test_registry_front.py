"""Behaviour behind a programmable front over a real docker-registry: bearer tokens from a realm on
another origin, blobs redirected to a CDN, dropped connections and resume, tampered bytes,
concurrent pulls sharing a layer, cross-repository mounts."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from registry_harness import Front, Registry, blob_files, collect, make_model
from server_proc import ServerFactory

from pollama.registry import RegistryError, download, pull, push
from pollama.registry.download import partial_paths
from pollama.store import Store
from pollama.store.names import Name

pytestmark = pytest.mark.timeout(60)
PART = 256 << 10


@pytest.fixture()
def front(registry: Registry) -> Iterator[Front]:
    f = Front(registry).start()
    yield f
    f.stop()


@pytest.fixture(autouse=True)
def _small_parts_fast_retries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(download, "MIN_PART", PART)
    monkeypatch.setattr(download, "RETRY_BACKOFF", 0.01)
    monkeypatch.delenv("POLLAMA_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("POLLAMA_REGISTRY_PASSWORD", raising=False)
    monkeypatch.setenv("POLLAMA_REGISTRY_AUTH_FILE", str(tmp_path / "none.json"))


def _published(front: Front, tmp_path: Path, repo: str, size: int = 2 << 20) -> tuple[Name, Store, bytes]:
    """A model pushed through the front (as anonymous, so only without token auth)."""
    src = Store(tmp_path / f"src-{repo.replace('/', '-')}")
    weights = os.urandom(size)
    name, _ = make_model(src, f"{front.host}/{repo}:latest", {"model": weights, "template": b"{{ .Prompt }}"})
    assert asyncio.run(collect(push(src, name, insecure=True)))[-1] == {"status": "success"}
    return name, src, weights


def _digest_of(store: Store, name: Name) -> str:
    return store.read_manifest(name).layers[0].digest


def test_bearer_token_realm_on_another_origin(front: Front, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    front.token_users = {"bob": "builder"}
    front.token_field = "access_token"
    src = Store(tmp_path / "src")
    name, manifest = make_model(src, f"{front.host}/bob/tok:latest", {"model": os.urandom(600_000)})

    with pytest.raises(RegistryError) as e:  # anonymous tokens only grant pull
        asyncio.run(collect(push(src, name, insecure=True)))
    assert e.value.status == 401

    monkeypatch.setenv("POLLAMA_REGISTRY_USERNAME", "bob")
    monkeypatch.setenv("POLLAMA_REGISTRY_PASSWORD", "wrong")
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(push(src, name, insecure=True)))
    assert e.value.status == 401 and "invalid username or password" in str(e.value)

    monkeypatch.setenv("POLLAMA_REGISTRY_PASSWORD", "builder")
    front.reset()
    assert asyncio.run(collect(push(src, name, insecure=True)))[-1] == {"status": "success"}
    push_scopes = [s for user, s in front.token_requests if user == "bob"]
    assert push_scopes and len(push_scopes) == len(set(push_scopes))  # one token per scope, then cached
    assert front.registry_auth and all(a.startswith("Bearer ") for a in front.registry_auth)  # never Basic

    monkeypatch.delenv("POLLAMA_REGISTRY_USERNAME")  # anonymous pull through the bearer flow
    dst = Store(tmp_path / "dst")
    assert asyncio.run(collect(pull(dst, name, insecure=True)))[-1] == {"status": "success"}
    assert dst.manifest_path(name).read_bytes() == src.manifest_path(name).read_bytes()
    assert dst.read_manifest(name).digests() == manifest.digests()


def test_redirected_blobs_never_get_the_authorization_header(front: Front, tmp_path: Path) -> None:
    name, src, weights = _published(front, tmp_path, "lib/redirected")
    front.token_users = {}  # anonymous pull needs a bearer token from now on
    front.redirect_blobs = True
    front.reset()
    dst = Store(tmp_path / "dst")
    assert asyncio.run(collect(pull(dst, name, insecure=True)))[-1] == {"status": "success"}
    assert dst.blob_path(_digest_of(src, name)).read_bytes() == weights
    assert any(status == 307 for _, _, status in front.log)
    assert len(front.cdn_auth) >= 8 and front.cdn_auth == [None] * len(front.cdn_auth)  # parts, no auth
    assert front.registry_auth and all(a.startswith("Bearer ") for a in front.registry_auth)


def test_dropped_connection_then_resume_fetches_only_missing_bytes(front: Front, tmp_path: Path) -> None:
    name, src, weights = _published(front, tmp_path, "lib/flaky")
    digest = _digest_of(src, name)
    dst = Store(tmp_path / "dst")
    front.reset()
    cut = 700_001
    front.drop_after = cut
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(pull(dst, name, insecure=True)))
    assert e.value.status == 500 and digest[7:19] in str(e.value)
    assert not dst.exists(name) and not dst.has_blob(digest)
    partial, state = partial_paths(dst, digest)
    assert partial.is_file() and json.loads(state.read_text())["digest"] == digest
    assert front.blob_bytes[digest] == cut

    front.drop_after = None
    front.reset()
    events = asyncio.run(collect(pull(dst, name, insecure=True)))
    assert events[-1] == {"status": "success"}
    assert front.blob_bytes[digest] == len(weights) - cut  # only what was missing
    first = next(e for e in events if e.get("digest") == digest)
    assert first["completed"] == cut  # progress starts from what is on disk
    assert dst.blob_path(digest).read_bytes() == weights
    assert not partial.exists() and not state.exists()


def test_cancelled_pull_resumes_from_its_sidecar(front: Front, tmp_path: Path) -> None:
    name, src, weights = _published(front, tmp_path, "lib/cancelled", size=3 << 20)
    digest = _digest_of(src, name)
    dst = Store(tmp_path / "dst")
    front.delay = 0.01

    async def pull_until_some_bytes() -> None:
        async for event in pull(dst, name, insecure=True):
            if event.get("digest") == digest and event["completed"] > 0:
                return  # the client goes away: the async generator is closed mid-download

    asyncio.run(pull_until_some_bytes())
    _, state = partial_paths(dst, digest)
    have = sum(e - s for s, e in json.loads(state.read_text())["have"])
    assert 0 < have < len(weights)
    front.delay = 0
    front.reset()
    assert asyncio.run(collect(pull(dst, name, insecure=True)))[-1] == {"status": "success"}
    assert front.blob_bytes[digest] == len(weights) - have
    assert dst.blob_path(digest).read_bytes() == weights


def test_tampered_blob_is_rejected_and_discarded(front: Front, tmp_path: Path) -> None:
    name, src, _ = _published(front, tmp_path, "lib/tampered")
    digest = _digest_of(src, name)
    dst = Store(tmp_path / "dst")
    front.tamper = True
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(pull(dst, name, insecure=True)))
    assert str(e.value).startswith(f"digest mismatch, file must be downloaded again: want {digest}, got sha256:")
    assert not dst.exists(name)
    assert not any(f.startswith(digest.replace(":", "-")) for f in blob_files(dst))  # no blob, no partial


def test_concurrent_pulls_sharing_a_layer(front: Front, tmp_path: Path) -> None:
    src = Store(tmp_path / "src")
    shared = os.urandom(2 << 20)
    a, ma = make_model(src, f"{front.host}/lib/alpha:latest", {"model": shared, "system": b"alpha"})
    b, mb = make_model(src, f"{front.host}/lib/beta:latest", {"model": shared, "system": b"beta"})
    for n in (a, b):
        assert asyncio.run(collect(push(src, n, insecure=True)))[-1] == {"status": "success"}
    dst = Store(tmp_path / "dst")
    front.delay = 0.002
    front.reset()

    async def both() -> tuple[list[dict], list[dict]]:
        return await asyncio.gather(collect(pull(dst, a, insecure=True)), collect(pull(dst, b, insecure=True)))

    ea, eb = asyncio.run(both())
    assert ea[-1] == eb[-1] == {"status": "success"}
    digest = ma.layers[0].digest
    assert front.blob_bytes[digest] == len(shared)  # fetched once, the other pull waited for it
    assert dst.blob_path(digest).read_bytes() == shared
    assert dst.read_manifest(a).digests() == ma.digests() and dst.read_manifest(b).digests() == mb.digests()


def test_push_mounts_blobs_from_a_sibling_repository(front: Front, tmp_path: Path) -> None:
    src = Store(tmp_path / "src")
    shared = os.urandom(1 << 20)
    a, ma = make_model(src, f"{front.host}/team/base:latest", {"model": shared})
    b, _ = make_model(src, f"{front.host}/team/derived:latest", {"model": shared, "system": b"hi"})
    assert asyncio.run(collect(push(src, a, insecure=True)))[-1] == {"status": "success"}
    front.reset()
    events = asyncio.run(collect(push(src, b, insecure=True)))
    assert events[-1] == {"status": "success"}
    digest = ma.layers[0].digest
    mounts = [(unquote(p), s) for m, p, s in front.log if m == "POST" and "mount=" in p]
    assert (f"/v2/team/derived/blobs/uploads/?mount={digest}&from=team/base", 201) in mounts
    patched = [p for m, p, _ in front.log if m == "PATCH"]
    assert len(patched) == 2  # only the new "system" layer and the new config were uploaded
    mine = [e for e in events if e.get("digest") == digest]
    assert mine[-1]["completed"] == mine[-1]["total"] == len(shared)


def test_manifest_accept_header_and_parallel_ranged_parts(front: Front, tmp_path: Path) -> None:
    name, src, weights = _published(front, tmp_path, "lib/parallel", size=3 << 20)
    front.delay = 0.005
    front.reset()
    dst = Store(tmp_path / "dst")
    assert asyncio.run(collect(pull(dst, name, insecure=True)))[-1] == {"status": "success"}
    assert front.accept and all("application/vnd.docker.distribution.manifest.v2+json" in a
                                for a in front.accept)
    digest = _digest_of(src, name)
    gets = [s for m, p, s in front.log if m == "GET" and p.endswith(digest)]
    assert gets == [206] * ((3 << 20) // PART)  # one ranged request per part
    assert front.peak_streams >= 2  # parts overlap
    assert dst.blob_path(digest).read_bytes() == weights


def test_registry_that_ignores_ranges_still_pulls(front: Front, tmp_path: Path) -> None:
    name, src, weights = _published(front, tmp_path, "lib/norange", size=1 << 20)
    front.ignore_ranges = True
    front.reset()
    dst = Store(tmp_path / "dst")
    assert asyncio.run(collect(pull(dst, name, insecure=True)))[-1] == {"status": "success"}
    assert [s for m, p, s in front.log if m == "GET" and "/blobs/" in p and s != 200] == []
    assert dst.blob_path(_digest_of(src, name)).read_bytes() == weights
    assert not any(f.endswith(("-partial", "-partial-state")) for f in blob_files(dst))


def test_second_push_uploads_nothing(front: Front, tmp_path: Path) -> None:
    name, src, _ = _published(front, tmp_path, "lib/twice")
    front.reset()
    assert asyncio.run(collect(push(src, name, insecure=True)))[-1] == {"status": "success"}
    methods = [m for m, _, _ in front.log]
    assert methods.count("HEAD") == len(src.read_manifest(name).digests())  # HEAD per blob, all 200
    assert "POST" not in methods and "PATCH" not in methods
    assert [(m, s) for m, p, s in front.log if m == "PUT"] == [("PUT", 201)]  # the manifest only


def test_push_uploads_large_blobs_in_chunks(front: Front, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    # (the package's `push` attribute is the function, so the module is looked up by name)
    monkeypatch.setattr(importlib.import_module("pollama.registry.push"), "CHUNK", 300_000)
    src = Store(tmp_path / "src")
    weights = os.urandom(1_000_000)
    name, manifest = make_model(src, f"{front.host}/lib/chunked:latest", {"model": weights})
    front.reset()
    assert asyncio.run(collect(push(src, name, insecure=True)))[-1] == {"status": "success"}
    assert front.patch_ranges[:4] == ["0-299999", "300000-599999", "600000-899999", "900000-999999"]
    dst = Store(tmp_path / "dst")
    assert asyncio.run(collect(pull(dst, name, insecure=True)))[-1] == {"status": "success"}
    assert dst.blob_path(manifest.layers[0].digest).read_bytes() == weights


@pytest.mark.parametrize("streams", [2, 6])
def test_transfer_streams_bound_the_concurrent_part_requests(front: Front, tmp_path: Path, streams: int) -> None:
    name, src, weights = _published(front, tmp_path, f"lib/streams{streams}", size=3 << 20)
    front.delay = 0.01  # 12 parts that each take a while: the workers' requests overlap
    front.reset()
    dst = Store(tmp_path / "dst")
    assert asyncio.run(collect(pull(dst, name, insecure=True, streams=streams)))[-1] == {"status": "success"}
    # never more than allowed, and more than the default 4 when 6 are allowed (the first requests start
    # one after another, so the peak may miss the last one)
    assert streams - 1 <= front.peak_streams <= streams and front.peak_streams >= 2
    assert dst.blob_path(_digest_of(src, name)).read_bytes() == weights


def test_server_pulls_with_ollama_max_transfer_streams(front: Front, tmp_path: Path,
                                                        server_factory: ServerFactory) -> None:
    # the server's parts are 16 MiB at least: a 40 MiB blob is three of them
    name, src, weights = _published(front, tmp_path, "lib/served", size=40 << 20)
    srv = server_factory({"OLLAMA_MAX_TRANSFER_STREAMS": "1"})
    front.reset()
    with srv.client() as c:
        r = c.post("/api/pull", json={"model": name.given, "insecure": True, "stream": False})
    assert r.status_code == 200 and r.json() == {"status": "success"}, r.text
    digest = _digest_of(src, name)
    assert [s for m, p, s in front.log if m == "GET" and p.endswith(digest)] == [206] * 3
    assert front.peak_streams == 1
