import math

import pytest

from pollama.api.duration import parse_duration
from pollama.config import parse_host, settings


@pytest.mark.parametrize("raw,expected", [  # Ollama's envconfig TestHost cases
    (None, "http://127.0.0.1:11434"), ("", "http://127.0.0.1:11434"), ("1.2.3.4", "http://1.2.3.4:11434"),
    (":1234", "http://:1234"), ("1.2.3.4:1234", "http://1.2.3.4:1234"), ("example.com", "http://example.com:11434"),
    ("example.com:1234", "http://example.com:1234"), (":0", "http://:0"), (":66000", "http://:11434"),
    (":-1", "http://:11434"), ("[::1]", "http://[::1]:11434"), ("[::]", "http://[::]:11434"),
    ("::1", "http://[::1]:11434"), ("[::1]:1337", "http://[::1]:1337"), (" 1.2.3.4 ", "http://1.2.3.4:11434"),
    ('"1.2.3.4"', "http://1.2.3.4:11434"), (' " 1.2.3.4 " ', "http://1.2.3.4:11434"),
    ("'1.2.3.4'", "http://1.2.3.4:11434"), ("http://1.2.3.4", "http://1.2.3.4:80"),
    ("http://1.2.3.4:4321", "http://1.2.3.4:4321"), ("https://1.2.3.4", "https://1.2.3.4:443"),
    ("https://1.2.3.4:4321", "https://1.2.3.4:4321"), ("https://example.com/ollama", "https://example.com:443"),
    ("0.0.0.0", "http://0.0.0.0:11434"), ("1.2.3.4:", "http://1.2.3.4:11434"),
])
def test_ollama_host_forms(raw: str | None, expected: str) -> None:
    h = parse_host(raw)
    host = f"[{h.host}]" if ":" in h.host else h.host
    assert f"{h.scheme}://{host}:{h.port}" == expected


def test_host_url_is_connectable() -> None:
    # `:port` listens on every interface (host ""); a client reaches it over loopback
    assert parse_host(":1234").url == "http://127.0.0.1:1234"
    assert parse_host("::1").url == "http://[::1]:11434"
    assert parse_host("example.com").url == "http://example.com:11434"


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


@pytest.mark.parametrize("raw,length", [(None, 4096), ("8192", 8192), (" 2048 ", 2048), ("lots", 4096)])
def test_context_length(monkeypatch: pytest.MonkeyPatch, raw: str | None, length: int) -> None:
    if raw is None:
        monkeypatch.delenv("OLLAMA_CONTEXT_LENGTH", raising=False)
    else:
        monkeypatch.setenv("OLLAMA_CONTEXT_LENGTH", raw)
    assert settings().context_length == length


@pytest.mark.parametrize("raw,noprune", [(None, False), ("", False), ("1", True), ("true", True), ("0", False)])
def test_noprune(monkeypatch: pytest.MonkeyPatch, raw: str | None, noprune: bool) -> None:
    if raw is None:
        monkeypatch.delenv("OLLAMA_NOPRUNE", raising=False)
    else:
        monkeypatch.setenv("OLLAMA_NOPRUNE", raw)
    assert settings().noprune is noprune


@pytest.mark.parametrize("raw,interval,timeout", [
    (None, 0.04, 300.0), ("100ms", 0.1, 0.1), ("2", 2.0, 2.0), ("soon", 0.04, 300.0),  # invalid: the default
    ("0", 0.0, None), ("-1s", 0.04, None),  # a load timeout of 0 or less means no limit, as in Ollama
])
def test_stream_interval_and_load_timeout(monkeypatch: pytest.MonkeyPatch, raw: str | None, interval: float,
                                          timeout: float | None) -> None:
    for var in ("POLLAMA_STREAM_INTERVAL", "OLLAMA_LOAD_TIMEOUT"):
        if raw is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, raw)
    s = settings()
    assert s.stream_interval == pytest.approx(interval)
    assert s.load_timeout == pytest.approx(timeout) if timeout else s.load_timeout is None


@pytest.mark.parametrize("raw,seconds", [
    ("5m", 300), ("1h30m", 5400), ("10s", 10), ("1.5h", 5400), (30, 30), ("30", 30), (0, 0), ("0", 0),
    ("500ms", 0.5),
])
def test_durations(raw: object, seconds: float) -> None:
    assert parse_duration(raw) == pytest.approx(seconds)


@pytest.mark.parametrize("raw", [-1, "-1", "-5m", -0.5, 1e300, "1e300", "inf", "99999999999h"])
def test_negative_duration_is_forever(raw: object) -> None:
    assert parse_duration(raw) == math.inf


@pytest.mark.parametrize("raw", ["abc", "5x", "", "m5", True, [1], "NaN", "nan", float("nan")])
def test_bad_duration(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(raw)


@pytest.mark.parametrize(("raw", "debug"), [(None, False), ("1", True), ("true", True), ("T", True), ("2", True),
                                            ("0", False), ("false", False), ("-1", False), ("yes", False)])
def test_ollama_debug_as_ollama_reads_it(monkeypatch: pytest.MonkeyPatch, raw: str | None, debug: bool) -> None:
    monkeypatch.delenv("OLLAMA_DEBUG", raising=False)
    if raw is not None:
        monkeypatch.setenv("OLLAMA_DEBUG", raw)
    assert settings().debug is debug


@pytest.mark.parametrize(("raw", "streams"), [(None, 4), ("8", 8), ("1", 1), ("0", 1), ("-2", 4), ("x", 4)])
def test_max_transfer_streams(monkeypatch: pytest.MonkeyPatch, raw: str | None, streams: int) -> None:
    monkeypatch.delenv("OLLAMA_MAX_TRANSFER_STREAMS", raising=False)
    if raw is not None:
        monkeypatch.setenv("OLLAMA_MAX_TRANSFER_STREAMS", raw)
    assert settings().max_transfer_streams == streams


def test_log_metrics_debug_requests_and_editor(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("POLLAMA_LOG_FORMAT", "POLLAMA_METRICS", "OLLAMA_DEBUG_LOG_REQUESTS", "OLLAMA_EDITOR"):
        monkeypatch.delenv(var, raising=False)
    cfg = settings()
    assert (cfg.log_json, cfg.metrics, cfg.debug_log_requests, cfg.editor) == (False, True, False, "")
    for var, value in (("POLLAMA_LOG_FORMAT", "JSON"), ("POLLAMA_METRICS", "0"),
                       ("OLLAMA_DEBUG_LOG_REQUESTS", "1"), ("OLLAMA_EDITOR", " code --wait ")):
        monkeypatch.setenv(var, value)
    cfg = settings()
    assert (cfg.log_json, cfg.metrics, cfg.debug_log_requests, cfg.editor) == (True, False, True, "code --wait")
