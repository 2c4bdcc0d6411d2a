"""The model-management library under the CLI commands and the REPL, against a recorded fake server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pollama.cli.chat import RunOptions
from pollama.cli.models import list_running, show_model, stop_model
from pollama.cli.repl import Repl

TAGS = {"models": [{"name": "tiny:latest", "digest": "0123456789abcdef", "size": 2_500_000,
                    "modified_at": "2020-01-01T00:00:00+00:00"}]}
PS = {"models": [
    {"name": "cpu:latest", "digest": "a" * 64, "size": 1000, "size_vram": 0, "context_length": 2048,
     "expires_at": "9999-01-01T00:00:00+00:00"},
    {"name": "gpu:latest", "digest": "b" * 64, "size": 1000, "size_vram": 1000, "context_length": 4096,
     "expires_at": "9999-01-01T00:00:00+00:00"},
    {"name": "split:latest", "digest": "c" * 64, "size": 1000, "size_vram": 250, "context_length": 8192,
     "expires_at": "9999-01-01T00:00:00+00:00"},
]}
SHOW = {"details": {"parameter_size": "1M", "quantization_level": "F16"}, "license": "",
        "model_info": {"general.architecture": "llama", "llama.context_length": 2048},
        "capabilities": ["completion"], "template": "{{ .Prompt }}"}


class FakeServer:
    """Answers the JSON routes from fixed bodies and records every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []

    def json(self, method: str, path: str, body: Any = None) -> Any:
        self.requests.append((method, path, body))
        return {"/api/tags": TAGS, "/api/ps": PS, "/api/show": SHOW}.get(path)


def test_ps_shows_where_each_model_runs(capsys: pytest.CaptureFixture[str]) -> None:
    list_running(FakeServer())  # type: ignore[arg-type]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    assert [line.split()[:2] for line in lines[1:]] == [["cpu:latest", "a" * 12], ["gpu:latest", "b" * 12],
                                                        ["split:latest", "c" * 12]]
    assert "100% CPU" in lines[1] and "100% GPU" in lines[2] and "75%/25% CPU/GPU" in lines[3]
    assert all(line.endswith("Forever") for line in lines[1:])


def test_stop_refuses_a_model_that_is_not_running(capsys: pytest.CaptureFixture[str]) -> None:
    server = FakeServer()
    assert stop_model(server, "other") == 1  # type: ignore[arg-type]
    assert capsys.readouterr().err == 'Error: couldn\'t find model "other" to stop\n'
    assert [r[1] for r in server.requests] == ["/api/ps"]
    assert stop_model(server, "gpu") == 0  # type: ignore[arg-type]  # the short name of gpu:latest
    assert server.requests[-1] == ("POST", "/api/generate", {"model": "gpu", "keep_alive": 0})


def test_show_one_field_or_an_error_when_the_model_has_none(capsys: pytest.CaptureFixture[str]) -> None:
    server = FakeServer()
    assert show_model(server, "tiny", field="template") == 0  # type: ignore[arg-type]
    assert capsys.readouterr().out == "{{ .Prompt }}\n"
    assert show_model(server, "tiny", field="license") == 1  # type: ignore[arg-type]
    assert capsys.readouterr().err == "Error: license not specified for model\n"
    assert server.requests[0] == ("POST", "/api/show", {"model": "tiny", "verbose": False})


def test_repl_list_and_show_info_print_what_the_commands_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    repl = Repl(FakeServer(), RunOptions(model="tiny"), no_history=True)  # type: ignore[arg-type]
    repl.handle("/list")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    assert lines[1].split()[:4] == ["tiny:latest", "0123456789ab", "2.5", "MB"]
    repl.handle("/show info")
    out = capsys.readouterr().out
    assert "  Model\n    architecture        llama\n" in out and "    context length      2048\n" in out
    assert "  Capabilities\n    completion\n" in out
