"""HTTP Basic auth against a real docker-registry configured with an htpasswd file."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_harness import Registry, collect, htpasswd_line, make_model

from pollama.registry import RegistryError, pull, push
from pollama.store import Store

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry"), htpasswd=htpasswd_line("alice", "wonderland")).start()
    yield reg
    reg.stop()


@pytest.fixture()
def auth_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("POLLAMA_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("POLLAMA_REGISTRY_PASSWORD", raising=False)
    path = tmp_path / "registry-auth.json"
    monkeypatch.setenv("POLLAMA_REGISTRY_AUTH_FILE", str(path))
    return path


def _model(tmp_path: Path, registry: Registry, repo: str) -> tuple[Store, object]:
    store = Store(tmp_path / "src")
    name, _ = make_model(store, f"{registry.host}/{repo}:latest", {"model": os.urandom(1 << 20)})
    return store, name


def test_env_credentials_push_and_pull(registry: Registry, tmp_path: Path, auth_file: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLLAMA_REGISTRY_USERNAME", "alice")
    monkeypatch.setenv("POLLAMA_REGISTRY_PASSWORD", "wonderland")
    store, name = _model(tmp_path, registry, "alice/env")
    assert asyncio.run(collect(push(store, name, insecure=True)))[-1] == {"status": "success"}
    dst = Store(tmp_path / "dst")
    assert asyncio.run(collect(pull(dst, name, insecure=True)))[-1] == {"status": "success"}
    assert dst.manifest_path(name).read_bytes() == store.manifest_path(name).read_bytes()


@pytest.mark.parametrize("shape", ["plain", "docker"])
def test_auth_file_credentials(registry: Registry, tmp_path: Path, auth_file: Path, shape: str) -> None:
    if shape == "plain":
        auth_file.write_text(json.dumps({registry.host: {"username": "alice", "password": "wonderland"}}))
    else:
        token = base64.b64encode(b"alice:wonderland").decode()
        auth_file.write_text(json.dumps({"auths": {f"http://{registry.host}": {"auth": token}}}))
    store, name = _model(tmp_path, registry, f"alice/file-{shape}")
    assert asyncio.run(collect(push(store, name, insecure=True)))[-1] == {"status": "success"}
    assert asyncio.run(collect(pull(Store(tmp_path / "dst"), name, insecure=True)))[-1] == {"status": "success"}


def test_missing_credentials_is_401(registry: Registry, tmp_path: Path, auth_file: Path) -> None:
    store, name = _model(tmp_path, registry, "alice/none")
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(push(store, name, insecure=True)))
    assert e.value.status == 401 and "unauthorized" in str(e.value)
    assert "POLLAMA_REGISTRY_USERNAME" in str(e.value)
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(pull(Store(tmp_path / "dst"), name, insecure=True)))
    assert e.value.status == 401


def test_wrong_password_is_401(registry: Registry, tmp_path: Path, auth_file: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLLAMA_REGISTRY_USERNAME", "alice")
    monkeypatch.setenv("POLLAMA_REGISTRY_PASSWORD", "looking-glass")
    store, name = _model(tmp_path, registry, "alice/wrong")
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(push(store, name, insecure=True)))
    assert e.value.status == 401
    assert str(e.value).startswith("unauthorized:"), str(e.value)
