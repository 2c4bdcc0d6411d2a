"""Settings from Ollama's environment variables, with Ollama's defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["Host", "Settings", "parse_host", "settings"]

DEFAULT_PORT = 11434


@dataclass(frozen=True)
class Host:
    scheme: str
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_host(value: str | None) -> Host:
    """Parse OLLAMA_HOST the way Ollama does: `host`, `host:port`, `:port`, `scheme://host:port`."""
    value = (value or "").strip().strip("\"'")
    scheme = "http"
    if "://" in value:
        scheme, value = value.split("://", 1)
    value = value.split("/", 1)[0]
    default_port = {"http": DEFAULT_PORT, "https": 443}.get(scheme, DEFAULT_PORT)
    parts = urlsplit(f"//{value}")
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    if not host and value.startswith(":"):
        host = ""
    if port is None:
        port = default_port
    return Host(scheme, host or "127.0.0.1", port)


def _duration_env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        return default


def _bool_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    host: Host
    models: Path
    keep_alive: str
    num_parallel: int  # 0 = choose automatically
    max_loaded_models: int  # 0 = choose automatically
    max_queue: int
    context_length: int
    origins: tuple[str, ...]
    no_history: bool
    debug: bool
    api_keys: tuple[str, ...]
    load_timeout: str

    @property
    def home(self) -> Path:
        return Path(os.path.expanduser("~/.ollama"))


def settings() -> Settings:
    """Read the environment now (tests change it between servers)."""
    models = os.environ.get("OLLAMA_MODELS", "").strip() or os.path.expanduser("~/.ollama/models")
    origins = tuple(o.strip() for o in os.environ.get("OLLAMA_ORIGINS", "").split(",") if o.strip())
    keys = tuple(k.strip() for k in os.environ.get("POLLAMA_API_KEYS", "").split(",") if k.strip())
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
        debug=_bool_env("OLLAMA_DEBUG"),
        api_keys=keys,
        load_timeout=_duration_env("OLLAMA_LOAD_TIMEOUT", "5m"),
    )
