"""Go durations: parsed from keep_alive and settings ("5m", "1h30m", "-1s"; plain numbers are seconds), and
printed as Go prints a time.Duration."""

from __future__ import annotations

import math
import re

__all__ = ["parse_duration", "format_duration", "FOREVER"]

FOREVER = math.inf
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_LONGEST = 2**63 / 1e9  # Go's time.Duration (int64 nanoseconds) holds about 292 years
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(value: object) -> float:
    """Seconds; negative values and those past Go's longest duration mean forever (`FOREVER`).

    Raises ValueError, also for NaN (a timer cannot be set to it)."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("invalid duration \"\"")
        try:
            seconds = float(text)
        except ValueError:
            sign = -1.0 if text.startswith("-") else 1.0
            body = text.lstrip("+-")
            pos, total = 0, 0.0
            for m in _PART.finditer(body):
                if m.start() != pos:
                    break
                total += float(m.group(1)) * _UNITS[m.group(2)]
                pos = m.end()
            if pos != len(body) or not body:
                raise ValueError(f'time: invalid duration "{value}"') from None
            seconds = sign * total
    else:
        raise ValueError(f"invalid duration {value!r}")
    if math.isnan(seconds):
        raise ValueError(f'time: invalid duration "{value}"')
    return FOREVER if seconds < 0 or seconds >= _LONGEST else seconds


def _frac(value: int, digits: int) -> str:
    """`value / 10**digits` the way Go prints it: trailing zeros (and a bare point) dropped."""
    whole, rest = divmod(value, 10**digits)
    tail = f"{rest:0{digits}d}".rstrip("0") if digits else ""
    return f"{whole}.{tail}" if tail else str(whole)


def format_duration(ns: int) -> str:
    """Go's `time.Duration.String()`: 1.234567s, 12.3ms, 800µs, 1m5.5s, 1h0m0s."""
    if ns == 0:
        return "0s"
    sign, u = ("-", -ns) if ns < 0 else ("", ns)
    if u < 1_000_000_000:
        if u < 1_000:
            return f"{sign}{u}ns"
        if u < 1_000_000:
            return f"{sign}{_frac(u, 3)}µs"
        return f"{sign}{_frac(u, 6)}ms"
    seconds, rest = divmod(u, 1_000_000_000)
    text = f"{_frac((seconds % 60) * 1_000_000_000 + rest, 9)}s"
    minutes = seconds // 60
    if minutes:
        text = f"{minutes % 60}m{text}"
        if minutes // 60:
            text = f"{minutes // 60}h{text}"
    return sign + text
