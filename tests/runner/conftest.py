"""Shared fixtures for runner tests: tiny models and a private event loop per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.tiny_gguf import make_tiny_bert
from runner_helpers import Loop

from pollama.runner.llama import Model, setup_logging


@pytest.fixture(scope="session")
def tiny_model(tiny_llama: Path) -> Model:
    """The tiny llama loaded in this process, for engines run in-process."""
    setup_logging(False)
    return Model(tiny_llama)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny") / "tiny-bert.gguf")


@pytest.fixture(scope="module")
def loop() -> Iterator[Loop]:
    lp = Loop()
    yield lp
    lp.loop.close()
