"""TLS: verified by default, `insecure` skips verification, a plain-http host is reached with `insecure`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_harness import Registry, collect, htpasswd_line, make_model, self_signed_cert

from pollama.registry import RegistryError, pull, push
from pollama.store import Store

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Path]]:
    root = tmp_path_factory.mktemp("tls-registry")
    cert, key = self_signed_cert(root / "tls")
    reg = Registry(root, htpasswd=htpasswd_line("carol", "secret"), tls=(cert, key)).start()
    yield reg, cert
    reg.stop()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("POLLAMA_REGISTRY_USERNAME", "carol")
    monkeypatch.setenv("POLLAMA_REGISTRY_PASSWORD", "secret")
    monkeypatch.setenv("POLLAMA_REGISTRY_AUTH_FILE", str(tmp_path / "none.json"))


def test_untrusted_certificate_is_refused(tls_registry: tuple[Registry, Path], tmp_path: Path) -> None:
    reg, _ = tls_registry
    store = Store(tmp_path / "s")
    name, _ = make_model(store, f"{reg.host}/carol/tls:latest", {"model": os.urandom(1000)})
    with pytest.raises(RegistryError) as e:
        asyncio.run(collect(push(store, name)))
    assert "CERTIFICATE_VERIFY_FAILED" in str(e.value)


def test_insecure_skips_verification_but_keeps_tls(tls_registry: tuple[Registry, Path], tmp_path: Path) -> None:
    reg, _ = tls_registry
    store = Store(tmp_path / "s")
    name, _ = make_model(store, f"{reg.host}/carol/insecure:latest", {"model": os.urandom(300_000)})
    assert asyncio.run(collect(push(store, name, insecure=True)))[-1] == {"status": "success"}
    dst = Store(tmp_path / "d")
    assert asyncio.run(collect(pull(dst, name, insecure=True)))[-1] == {"status": "success"}
    assert dst.manifest_path(name).read_bytes() == store.manifest_path(name).read_bytes()


def test_verified_tls_with_a_trusted_ca(tls_registry: tuple[Registry, Path], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    reg, cert = tls_registry
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    store = Store(tmp_path / "s")
    name, _ = make_model(store, f"{reg.host}/carol/verified:latest", {"model": os.urandom(300_000)})
    assert asyncio.run(collect(push(store, name)))[-1] == {"status": "success"}
    assert asyncio.run(collect(pull(Store(tmp_path / "d"), name)))[-1] == {"status": "success"}
