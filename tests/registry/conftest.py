"""Shared by the registry tests: an anonymous registry per module (the harness is on pytest's pythonpath)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from registry_harness import Registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A real docker-registry on loopback, anonymous (test_registry_basic_auth has its own)."""
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    yield reg
    reg.stop()
