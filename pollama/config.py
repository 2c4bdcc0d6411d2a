"""Settings from Ollama's environment variables, with Ollama's defaults."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pollama.api.duration import parse_duration
from pollama.api.options import CHOICES

__all__ = ["Host", "Settings", "parse_host", "settings"]

DEFAULT_PORT = 11434


@dataclass(frozen=True)
class Host:
    """Where the server listens. An empty `host` (from `:port`) means every interface, as in Ollama."""

    scheme: str
    host: str
    port: int

    @property
    def url(self) -> str:
        """The base URL a client connects to (an empty host is reached over loopback)."""
        host = self.host or "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{host}:{self.port}"


def _split_host_port(hostport: str) -> tuple[str, str] | None:
    """Go's net.SplitHostPort: None where it would fail (no port, stray colons or brackets)."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or hostport[end + 1:end + 2] != ":":
            return None
        host, port = hostport[1:end], hostport[end + 2:]
        return (host, port) if "[" not in host and "]" not in port and ":" not in port else None
    host, sep, port = hostport.rpartition(":")
    if not sep or ":" in host or "[" in host or "]" in host:
        return None
    return host, port


def parse_host(value: str | None) -> Host:
    """Parse OLLAMA_HOST as Ollama's envconfig.Host does: `host`, `host:port`, `:port`, `[v6]:port`,
    `scheme://host[:port][/path]` (default port 11434, or 80/443 after `http://`/`https://`)."""
    text = (value or "").strip().strip("\"'").strip()
    scheme, sep, hostport = text.partition("://")
    default_port = DEFAULT_PORT
    if not sep:
        scheme, hostport = "http", text
    elif scheme == "http":
        default_port = 80
    elif scheme == "https":
        default_port = 443
    hostport = hostport.split("/", 1)[0]
    split = _split_host_port(hostport)
    if split is None:
        host, port_text = "127.0.0.1", ""
        try:
            host = ipaddress.ip_address(hostport.strip("[]")).compressed
        except ValueError:
            host = hostport or host
    else:
        host, port_text = split
    port = int(port_text) if re.fullmatch(r"[+-]?[0-9]{1,10}", port_text) else -1
    if not 0 <= port <= 65535:
        port = default_port
    return Host(scheme, host, port)


def _duration_env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _seconds_env(name: str, default: float) -> float:
    """A Go duration or plain seconds (negative: forever, returned as inf); the default when unset or invalid."""
    try:
        return parse_duration(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        return default


def _choice_env(name: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, or "" when unset or not one of them (as _int_env, a bad value is the default)."""
    value = os.environ.get(name, "").strip().lower()
    return value if value in choices else ""


def _bool_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _debug_env() -> bool:
    """OLLAMA_DEBUG as Ollama's LogLevel reads it: true, or a positive level (2 is Ollama's trace), is debug."""
    raw = os.environ.get("OLLAMA_DEBUG", "").strip().lower()
    return raw in {"t", "true"} or (re.fullmatch(r"[+]?[0-9]{1,9}", raw) is not None and int(raw) > 0)


def _uint_env(name: str, default: int) -> int:
    """Ollama's envconfig.Uint: an unsigned number, else the default."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if re.fullmatch(r"[0-9]{1,18}", raw) else default


def _go_bool_env(name: str) -> bool:
    """Ollama's envconfig.Bool: unset is false; a value Go's ParseBool cannot read counts as true."""
    raw = os.environ.get(name, "").strip().strip("\"'")
    return bool(raw) and raw not in {"0", "f", "F", "false", "FALSE", "False"}


def _go_bool_or_unset(name: str) -> bool | None:
    """Ollama's envconfig.BoolWithDefault: None when unset, else as `_go_bool_env` reads it."""
    return _go_bool_env(name) if os.environ.get(name, "").strip().strip("\"'") else None


def _server_config_flag(key: str) -> bool:
    """A true `key` in ~/.ollama/server.json (Ollama's server config); a missing or unreadable file is false."""
    try:
        data = json.loads((Path.home() / ".ollama" / "server.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get(key) is True


@dataclass(frozen=True)
class Settings:
    """The server's environment, read once at start-up (`settings()`) and passed down: create_app keeps it as
    `app.state.settings` and hands it to the Scheduler; the Store gets `models` and `noprune`."""

    host: Host
    models: Path
    keep_alive: str
    num_parallel: int  # 0 = choose automatically
    max_loaded_models: int  # 0 = choose automatically
    max_queue: int
    context_length: int
    origins: tuple[str, ...]
    no_history: bool
    noprune: bool  # OLLAMA_NOPRUNE: keep unreferenced blobs (no prune at start, none removed on overwrite)
    debug: bool
    api_keys: tuple[str, ...]
    load_timeout: float | None  # seconds; None: wait for as long as a load takes
    stream_interval: float  # seconds between a stream's reply lines, at most (POLLAMA_STREAM_INTERVAL)
    log_json: bool  # POLLAMA_LOG_FORMAT=json: every log record as one JSON object per line
    metrics: bool  # POLLAMA_METRICS (default on): /metrics, and the per-request log line and X-Request-Id
    max_transfer_streams: int  # OLLAMA_MAX_TRANSFER_STREAMS: a pull's concurrent ranged requests (at least 1)
    debug_log_requests: bool  # OLLAMA_DEBUG_LOG_REQUESTS: inference bodies + curl replay scripts to a temp dir
    editor: str  # OLLAMA_EDITOR: the REPL's Ctrl+G editor (else $VISUAL, $EDITOR, vi)
    no_cloud_env: bool  # OLLAMA_NO_CLOUD: Ollama's cloud disabled by the environment
    no_cloud_config: bool  # ... by `"disable_ollama_cloud": true` in ~/.ollama/server.json
    flash_attention: bool | None  # OLLAMA_FLASH_ATTENTION; None: unset (llama.cpp decides, see pollama.kvcache)
    kv_cache_type: str  # OLLAMA_KV_CACHE_TYPE, lower case ("": f16); pollama.kvcache decides what a model gets
    rpc_servers: tuple[str, ...]  # OLLAMA_RPC_SERVERS: llama.cpp RPC servers (host:port) every runner uses
    tensor_split: str  # POLLAMA_TENSOR_SPLIT: layer weights, the local CPU's then each RPC device's ("": memory)
    speculative: str = ""  # OLLAMA_SPECULATIVE: "off" | "ngram" | "draft"; "": unset


def settings() -> Settings:
    """Read the environment now: once per server (or command), its result passed down."""
    models = os.environ.get("OLLAMA_MODELS", "").strip() or os.path.expanduser("~/.ollama/models")
    origins = tuple(o.strip() for o in os.environ.get("OLLAMA_ORIGINS", "").split(",") if o.strip())
    keys = tuple(k.strip() for k in os.environ.get("POLLAMA_API_KEYS", "").split(",") if k.strip())
    load_timeout = _seconds_env("OLLAMA_LOAD_TIMEOUT", 300.0)
    stream_interval = _seconds_env("POLLAMA_STREAM_INTERVAL", 0.04)
    return Settings(
        host=parse_host(os.environ.get("OLLAMA_HOST")),
        models=Path(models).expanduser(),
        keep_alive=_duration_env("OLLAMA_KEEP_ALIVE", "5m"),
        num_parallel=_int_env("OLLAMA_NUM_PARALLEL", 0),
        max_loaded_models=_int_env("OLLAMA_MAX_LOADED_MODELS", 0),
        max_queue=_int_env("OLLAMA_MAX_QUEUE", 512),
        context_length=_int_env("OLLAMA_CONTEXT_LENGTH", 4096),
        origins=origins,
        no_history=_bool_env("OLLAMA_NOHISTORY"),
        noprune=_bool_env("OLLAMA_NOPRUNE"),
        debug=_debug_env(),
        api_keys=keys,
        load_timeout=load_timeout if 0 < load_timeout < math.inf else None,  # as Ollama: 0 or less is no limit
        stream_interval=stream_interval if stream_interval < math.inf else 0.04,
        log_json=os.environ.get("POLLAMA_LOG_FORMAT", "").strip().lower() == "json",
        metrics=os.environ.get("POLLAMA_METRICS", "").strip().lower() not in {"0", "false", "no", "off"},
        max_transfer_streams=max(1, _uint_env("OLLAMA_MAX_TRANSFER_STREAMS", 4)),
        debug_log_requests=_go_bool_env("OLLAMA_DEBUG_LOG_REQUESTS"),
        editor=os.environ.get("OLLAMA_EDITOR", "").strip(),
        no_cloud_env=_go_bool_env("OLLAMA_NO_CLOUD"),
        no_cloud_config=_server_config_flag("disable_ollama_cloud"),
        flash_attention=_go_bool_or_unset("OLLAMA_FLASH_ATTENTION"),
        kv_cache_type=os.environ.get("OLLAMA_KV_CACHE_TYPE", "").strip().strip("\"'").lower(),
        rpc_servers=tuple(r.strip() for r in os.environ.get("OLLAMA_RPC_SERVERS", "").split(",") if r.strip()),
        tensor_split=os.environ.get("POLLAMA_TENSOR_SPLIT", "").strip(),
        speculative=_choice_env("OLLAMA_SPECULATIVE", CHOICES["speculative"]),
    )
