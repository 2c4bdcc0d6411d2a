from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from convhelp import smollm2_tokenizer_files


@pytest.fixture(scope="session")
def smol_tokenizer(tmp_path_factory: pytest.TempPathFactory, smollm2: Path) -> tuple[Path, dict[str, Any]]:
    """A folder holding tokenizer.json / tokenizer_config.json rebuilt from SmolLM2's GGUF."""
    d = tmp_path_factory.mktemp("smol-tokenizer")
    return d, smollm2_tokenizer_files(d, smollm2)


@pytest.fixture()
def with_smol_tokenizer(smol_tokenizer: tuple[Path, dict[str, Any]]) -> Callable[[Path], dict[str, Any]]:
    """Copy the SmolLM2 tokenizer files into a model folder; returns the vocabulary facts."""

    def put(dst: Path) -> dict[str, Any]:
        src, info = smol_tokenizer
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(src / name, dst / name)
        return info

    return put
