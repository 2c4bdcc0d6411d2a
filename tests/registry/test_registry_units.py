"""Registry client parts without a registry: byte ranges, auth challenges, credentials, mounts, resumes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib
import json
import os
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from registry_harness import make_model

from pollama.registry import RegistryError
from pollama.registry.auth import Credentials, credentials_for, parse_challenges
from pollama.registry.client import RegistryClient
from pollama.registry.download import MAX_PART, MIN_PART, BlobDownload, part_size, partial_paths
from pollama.registry.push import mount_sources
from pollama.registry.ranges import RangeSet, split
from pollama.store import Store, parse_name
from pollama.store.layout import MEDIA, Layer

spans = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 60)).map(lambda t: (t[0], t[0] + t[1])),
                 max_size=25)


@given(spans)
def test_rangeset_matches_a_set_of_bytes(items: list[tuple[int, int]]) -> None:
    rs = RangeSet()
    model: set[int] = set()
    for start, end in items:
        rs.add(start, end)
        model |= set(range(start, end))
    got = rs.spans()
    assert sum(e - s for s, e in got) == len(model) == rs.total()
    assert {i for s, e in got for i in range(s, e)} == model
    assert all(got[i][1] < got[i + 1][0] for i in range(len(got) - 1))  # disjoint, not adjacent
    assert rs.prefix() == next(i for i in range(len(model) + 1) if i not in model)
    size = 230
    missing = rs.missing(size)
    assert {i for s, e in missing for i in range(s, e)} == set(range(size)) - model


@given(spans, st.integers(1, 40))
def test_split_covers_spans_in_order(items: list[tuple[int, int]], chunk: int) -> None:
    rs = RangeSet(items)
    pieces = split(rs.spans(), chunk)
    assert all(0 < e - s <= chunk for s, e in pieces)
    assert RangeSet(pieces).spans() == rs.spans()
    assert pieces == sorted(pieces)


def test_part_size_bounds() -> None:
    assert part_size(1) == MIN_PART
    assert part_size(200 * 10**6) == MIN_PART
    assert part_size(2 * 10**9) == 2 * 10**9 // 16
    assert part_size(10 * 10**9) == MAX_PART


def test_parse_bearer_challenge_with_commas_in_scope() -> None:
    (c,) = parse_challenges(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",'
        'scope="repository:library/llama3:pull,push"'
    )
    assert c.scheme == "bearer"
    assert c.realm == "https://auth.example.com/token"
    assert c.params["service"] == "registry.example.com"
    assert c.params["scope"] == "repository:library/llama3:pull,push"


def test_parse_several_challenges_and_escapes() -> None:
    got = parse_challenges('Basic realm="a \\"quoted\\" realm", Bearer realm=https://x/t, service=s')
    assert [c.scheme for c in got] == ["basic", "bearer"]
    assert got[0].realm == 'a "quoted" realm'
    assert got[1].params == {"realm": "https://x/t", "service": "s"}
    assert parse_challenges("") == []
    assert parse_challenges('Basic realm="Registry Realm"')[0].realm == "Registry Realm"


@pytest.fixture()
def no_creds_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("POLLAMA_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("POLLAMA_REGISTRY_PASSWORD", raising=False)
    path = tmp_path / "auth.json"
    monkeypatch.setenv("POLLAMA_REGISTRY_AUTH_FILE", str(path))
    return path


def test_credentials_from_env_apply_to_every_host(no_creds_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert credentials_for("r.example.com") is None
    monkeypatch.setenv("POLLAMA_REGISTRY_USERNAME", "alice")
    monkeypatch.setenv("POLLAMA_REGISTRY_PASSWORD", "s3cret")
    assert credentials_for("r.example.com") == Credentials("alice", "s3cret")
    assert credentials_for("127.0.0.1:5000") == Credentials("alice", "s3cret")
    assert credentials_for("x").basic() == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert "s3cret" not in repr(credentials_for("x"))


def test_credentials_from_file_both_shapes(no_creds_env: Path) -> None:
    docker = base64.b64encode(b"bob:pa:ss").decode()
    no_creds_env.write_text(json.dumps({
        "r.example.com": {"username": "alice", "password": "pw"},
        "auths": {"https://Harbor.example.com:8443/v2/": {"auth": docker}, "bad.example.com": {"auth": "!!"}},
    }))
    assert credentials_for("R.example.com") == Credentials("alice", "pw")
    assert credentials_for("harbor.example.com:8443") == Credentials("bob", "pa:ss")
    assert credentials_for("harbor.example.com") is None
    assert credentials_for("bad.example.com") is None
    assert credentials_for("other.example.com") is None


def test_broken_auth_file_is_a_clear_error(no_creds_env: Path) -> None:
    no_creds_env.write_text("{not json")
    with pytest.raises(RegistryError) as e:
        credentials_for("r.example.com")
    assert e.value.status == 400 and str(no_creds_env) in str(e.value)


def test_mount_sources_prefer_from_then_local_manifests_on_same_host(tmp_path: Path) -> None:
    store = Store(tmp_path)
    shared = b"shared weights" * 100
    _, a = make_model(store, "reg.example.com/team/a:1", {"model": shared})
    make_model(store, "reg.example.com/team/b:latest", {"model": shared, "system": b"be brief"})
    make_model(store, "other.example.com/team/c:latest", {"model": shared})
    target = parse_name("reg.example.com/team/new:latest")
    layer = a.layers[0]
    assert mount_sources(store, target, layer) == ["team/a", "team/b"]
    layer.from_ = "reg.example.com/lib/base:7b"
    assert mount_sources(store, target, layer)[0] == "lib/base"
    assert mount_sources(store, parse_name("reg.example.com/team/a:2"), a.layers[0]) == ["lib/base", "team/b"]


def test_default_registry_namespace_and_manifest_request() -> None:
    import asyncio
    import hashlib

    import httpx

    from pollama.registry.client import RegistryClient
    from pollama.registry.pull import fetch_manifest

    raw = b'{"schemaVersion":2}'
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        digest = "sha256:" + hashlib.sha256(raw if "good" in request.url.path else b"x").hexdigest()
        return httpx.Response(200, content=raw, headers={"docker-content-digest": digest})

    async def fetch(model: str) -> bytes:
        name = parse_name(model)
        async with RegistryClient(name.host, credentials=None) as client:
            await client.http.aclose()
            client.http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
            return await fetch_manifest(client, name)

    assert asyncio.run(fetch("good")) == raw
    assert str(seen[0].url) == "https://registry.ollama.ai/v2/library/good/manifests/latest"
    assert seen[0].headers["accept"].split(", ")[0] == "application/vnd.docker.distribution.manifest.v2+json"
    asyncio.run(fetch("me/good:7b"))
    assert str(seen[1].url) == "https://registry.ollama.ai/v2/me/good/manifests/7b"
    with pytest.raises(RegistryError) as e:  # the body must match the registry's Docker-Content-Digest
        asyncio.run(fetch("bad"))
    assert "Docker-Content-Digest" in str(e.value)


def test_chunked_upload_resumes_where_the_registry_says_after_a_dropped_patch_or_a_503(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    push_module = importlib.import_module("pollama.registry.push")
    monkeypatch.setattr(push_module, "CHUNK", 100)
    monkeypatch.setattr(push_module, "RETRY_BACKOFF", 0.0)
    store = Store(tmp_path)
    data = os.urandom(250)
    digest, size = store.write_blob_bytes(data)
    stored = bytearray()  # what a Docker registry would hold for the upload session
    ranges: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        end = f"0-{max(len(stored) - 1, 0)}"  # Docker's registry: "0-0" for no bytes as well
        if request.method == "PATCH":
            body = await request.aread()
            ranges.append(request.headers["content-range"])
            if len(ranges) == 1:
                raise httpx.ReadError("connection reset before any byte was stored")
            if len(ranges) == 3:
                stored.extend(body[:40])
                raise httpx.ReadError("connection reset after 40 bytes were stored")
            if len(ranges) == 4:
                return httpx.Response(503, json={"errors": [{"code": "UNAVAILABLE"}]})
            stored.extend(body)
            return httpx.Response(202, headers={"location": "/v2/team/m/blobs/uploads/u1?_state=x"})
        if request.method == "GET":
            return httpx.Response(204, headers={"range": end, "location": "/v2/team/m/blobs/uploads/u1"})
        assert request.method == "PUT" and request.url.params["digest"] == digest
        ok = "sha256:" + hashlib.sha256(stored).hexdigest() == digest
        return httpx.Response(201 if ok else 400)

    async def upload() -> None:
        async with RegistryClient("reg.example.com", credentials=None) as client:
            await client.http.aclose()
            client.http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
            job = push_module._Upload(client, store, "team/m", Layer(MEDIA["model"], digest, size))
            await job.run(client.url("/v2/team/m/blobs/uploads/u1"))
            assert job.completed == size

    asyncio.run(upload())
    assert ranges == ["0-99", "0-99", "100-199", "140-239", "140-239", "240-249"]
    assert bytes(stored) == data


def test_a_stale_partial_file_is_replaced_not_truncated(tmp_path: Path) -> None:
    # ext4 writes back a file truncated to zero as soon as it is closed, and the manifest's fsync then
    # waits for the whole blob (a third of a 200 MB pull). A fresh start must make a new file instead:
    # a descriptor held on the old one still sees the old bytes.
    data = os.urandom(3000)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    store = Store(tmp_path)
    partial, state = partial_paths(store, digest)
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"stale" * 1000)  # left by another pull, with no sidecar: nothing to resume
    assert not state.exists()

    async def download() -> None:
        async with RegistryClient("reg.example.com", credentials=None) as client:
            await client.http.aclose()
            client.http = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(200, stream=httpx.ByteStream(data))))
            await BlobDownload(client, store, "team/m", digest, len(data)).run()

    with open(partial, "rb") as old:
        asyncio.run(download())
        assert old.read() == b"stale" * 1000
    assert store.blob_path(digest).read_bytes() == data
    assert not partial.exists() and not state.exists()
