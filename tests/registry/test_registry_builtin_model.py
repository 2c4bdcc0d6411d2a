"""A pulled model whose config names a built-in renderer and parser (as the library's qwen3.5 does): the
server keeps both, shows them, renders its prompts with the renderer and splits its output with the parser.

The model is a hand-made manifest pushed to a real docker-registry; the server runs in this process with a
scripted runner behind its scheduler (tests/scripted_runner.py), since a random tiny model cannot be made
to think or call a tool.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from app_thread import AppThread
from registry_harness import Registry, collect, make_model
from scripted_runner import Script

from pollama.registry import push
from pollama.runner.client import RunnerProcess
from pollama.store import Store
from tests.prompt.parsers.streaming import calls
from tests.prompt.parsers.test_qwen35 import SF_CALL, SF_TOOL_CALL, WEATHER

pytestmark = pytest.mark.timeout(90)

HELLO = [{"role": "user", "content": "hello"}]


def test_a_pulled_model_renders_thinks_and_calls_tools(registry: Registry, tiny_llama: Path,
                                                       tmp_path: Path) -> None:
    src = Store(tmp_path / "src")
    model = f"{registry.host}/library/thinker:latest"
    name, _ = make_model(src, model, {"model": tiny_llama.read_bytes()}, renderer="qwen3.5", parser="qwen3.5")
    assert asyncio.run(collect(push(src, name, insecure=True)))[-1] == {"status": "success"}
    script = Script()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunnerProcess, "start", script.start)
        with AppThread(tmp_path / "models") as app, app.client() as http:
            r = http.post("/api/pull", json={"model": model, "insecure": True, "stream": False})
            assert r.status_code == 200 and r.json() == {"status": "success"}, r.text

            shown = http.post("/api/show", json={"model": model}).json()
            assert (shown["renderer"], shown["parser"]) == ("qwen3.5", "qwen3.5")
            assert shown["capabilities"] == ["completion", "thinking", "tools"]

            r = http.post("/api/chat", json={"model": model, "messages": HELLO, "_debug_render_only": True})
            assert r.json()["_debug_info"]["rendered_template"] == (
                "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n<think>\n")

            script.output = "Need weather lookup</think>" + SF_TOOL_CALL
            r = http.post("/api/chat", json={"model": model, "messages": HELLO, "tools": WEATHER, "stream": False})
            assert r.status_code == 200, r.text
            message = r.json()["message"]
            assert (message["content"], message["thinking"], message["tool_calls"]) == (
                "", "Need weather lookup", calls(SF_CALL))
            assert "<tools>" in script.prompt() and script.prompt().endswith("<|im_start|>assistant\n<think>\n")
