"""Shared by the server tests: a client of the module's server. A module that uses `http` defines `srv`
(usually through the root conftest's `module_server`), or its own `http`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from server_proc import Server


@pytest.fixture()
def http(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as c:
        yield c
