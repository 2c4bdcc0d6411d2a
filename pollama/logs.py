"""The server's log: every record on stderr, as `key=value` text (the format Ollama's slog writes) or, with
POLLAMA_LOG_FORMAT=json, one JSON object per line (python-json-logger). Fields passed as a record's `extra`
become keys of their own in both formats."""

from __future__ import annotations

import json
import logging
import re
import sys

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

__all__ = ["configure", "TextFormatter"]

_RESERVED = frozenset(RESERVED_ATTRS) | {"message", "asctime"}
_BARE = re.compile(r"[^\s\"=\\]+")  # what slog writes without quotes


def _value(v: object) -> str:
    text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time=... level=INFO msg=... key=value ...`: the message, then the record's extra fields."""

    def __init__(self) -> None:
        super().__init__("time=%(asctime)s level=%(levelname)s msg=%(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        message = record.message
        record.message = _value(message)
        try:
            line = super().formatMessage(record)
        finally:
            record.message = message
        extra = " ".join(f"{k}={_value(v)}" for k, v in record.__dict__.items() if k not in _RESERVED)
        return f"{line} {extra}" if extra else line


def configure(level: int, json_lines: bool) -> None:
    """Send every log record (the server's, uvicorn's, the runners' relayed lines) to stderr at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp="time",  # ISO 8601, UTC
                                           rename_fields={"levelname": "level", "message": "msg"}))
    else:
        handler.setFormatter(TextFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
