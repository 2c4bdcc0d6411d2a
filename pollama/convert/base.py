"""Shared pieces of the converters: the error type and reading a model directory's JSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["ConvertError", "read_json", "read_config", "first_int", "first_float"]


class ConvertError(ValueError):
    """The source directory cannot be converted; the message says why (what is missing or unsupported)."""


def read_json(path: Path) -> Any:
    """Parse a JSON file, turning I/O and syntax problems into ConvertError."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConvertError(f"missing {path.name} in {path.parent}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConvertError(f"cannot read {path.name}: {e}") from None


def read_config(src: Path) -> dict[str, Any]:
    """config.json of a Hugging Face model directory (must be a JSON object)."""
    if not src.is_dir():
        raise ConvertError(f"{src} is not a directory")
    config = read_json(src / "config.json")
    if not isinstance(config, dict):
        raise ConvertError("config.json is not a JSON object")
    return config


def first_int(config: dict[str, Any], *keys: str, default: int | None = None) -> int:
    """The first of `keys` present in config as an integer; ConvertError when none is and no default."""
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    if default is None:
        raise ConvertError(f"config.json has no {' / '.join(keys)}")
    return default


def first_float(config: dict[str, Any], *keys: str, default: float | None = None) -> float:
    """The first of `keys` present in config as a number; ConvertError when none is and no default."""
    for key in keys:
        value = config.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    if default is None:
        raise ConvertError(f"config.json has no {' / '.join(keys)}")
    return default
