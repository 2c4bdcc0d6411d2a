"""Human formats shared by the CLI commands (Ollama's format package)."""

from __future__ import annotations

import datetime as dt

__all__ = ["human_bytes", "human_time", "table"]


def human_bytes(b: int) -> str:
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if b >= scale:
            value = b / scale
            if value >= 10 or value == int(value):
                return f"{int(value)} {unit}"
            return f"{value:.1f} {unit}"
    return f"{b} B"


def _ago(seconds: float) -> str:
    if seconds < 1:
        return "Less than a second"
    if seconds < 2:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    if seconds < 120:
        return "About a minute"
    if seconds < 3600:
        return f"{int(seconds // 60)} minutes"
    if seconds < 7200:
        return "About an hour"
    if seconds < 86400:
        return f"{int(seconds // 3600)} hours"
    if seconds < 2 * 86400:
        return "1 day"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} days"
    if seconds < 14 * 86400:
        return "1 week"
    if seconds < 30 * 86400:
        return f"{int(seconds // (7 * 86400))} weeks"
    if seconds < 60 * 86400:
        return "1 month"
    if seconds < 365 * 86400:
        return f"{int(seconds // (30 * 86400))} months"
    return f"{int(seconds // (365 * 86400))} years"


def human_time(when: str | dt.datetime | None, zero: str = "Never") -> str:
    if not when:
        return zero
    t = dt.datetime.fromisoformat(when) if isinstance(when, str) else when
    if t.tzinfo is None:
        t = t.astimezone()
    delta = (t - dt.datetime.now(dt.UTC)).total_seconds()
    if t.year > 9000 or delta > 100 * 365 * 86400:
        return "Forever"
    if delta > 0:
        return f"{_ago(delta)} from now"
    return f"{_ago(-delta)} ago"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [str(c).ljust(widths[i] + 4) if i < len(r) - 1 else str(c) for i, c in enumerate(r)]
        lines.append("".join(cells).rstrip())
    return "\n".join(lines)
