import math

import pytest

from pollama.api.duration import parse_duration
from pollama.config import parse_host, settings


@pytest.mark.parametrize("raw,expected", [
    (None, ("http", "127.0.0.1", 11434)),
    ("", ("http", "127.0.0.1", 11434)),
    ("0.0.0.0", ("http", "0.0.0.0", 11434)),
    ("example.com:8080", ("http", "example.com", 8080)),
    (":9999", ("http", "127.0.0.1", 9999)),
    ("http://10.0.0.1:1234", ("http", "10.0.0.1", 1234)),
    ("https://host", ("https", "host", 443)),
    ("[::1]:7000", ("http", "::1", 7000)),
])
def test_ollama_host_forms(raw: str | None, expected: tuple[str, str, int]) -> None:
    h = parse_host(raw)
    assert (h.scheme, h.host, h.port) == expected


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for var in ("OLLAMA_HOST", "OLLAMA_MODELS", "OLLAMA_KEEP_ALIVE", "OLLAMA_MAX_QUEUE", "OLLAMA_CONTEXT_LENGTH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    s = settings()
    assert s.models == tmp_path / ".ollama" / "models"
    assert (s.keep_alive, s.max_queue, s.context_length) == ("5m", 512, 4096)
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "m"))
    monkeypatch.setenv("OLLAMA_MAX_QUEUE", "3")
    assert settings().models == tmp_path / "m" and settings().max_queue == 3


@pytest.mark.parametrize("raw,seconds", [
    ("5m", 300), ("1h30m", 5400), ("10s", 10), ("1.5h", 5400), (30, 30), ("30", 30), (0, 0), ("0", 0),
    ("500ms", 0.5),
])
def test_durations(raw: object, seconds: float) -> None:
    assert parse_duration(raw) == pytest.approx(seconds)


@pytest.mark.parametrize("raw", [-1, "-1", "-5m", -0.5])
def test_negative_duration_is_forever(raw: object) -> None:
    assert parse_duration(raw) == math.inf


@pytest.mark.parametrize("raw", ["abc", "5x", "", "m5", True, [1]])
def test_bad_duration(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(raw)
