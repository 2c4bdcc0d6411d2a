"""Image files named in a prompt (`pollama run` with a vision model): found, checked and attached."""

from __future__ import annotations

import base64
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["MAX_IMAGE_BYTES", "extract_images", "image_paths"]

MAX_IMAGE_BYTES = 100 * 1024 * 1024
_IMAGE_PATH = re.compile(r"(?:[a-zA-Z]:)?(?:\./|\.\./|~/|/|\\)[\S\\ ]+?\.(?i:jpg|jpeg|png|webp|gif)\b")
_UNESCAPE = re.compile(r"\\([ ()\[\]{}$&;'\\*?~])")


def _normalize_path(raw: str) -> str:
    text = raw.replace("'\\''", "'")
    text = _UNESCAPE.sub(r"\1", text)
    return os.path.expanduser(text)


def image_paths(text: str) -> Iterator[str]:
    """Path-looking substrings; a too-greedy match is retried from each later start point."""
    pos = 0
    while (m := _IMAGE_PATH.search(text, pos)) is not None:
        for start in range(m.start(), m.end()):
            cand = _IMAGE_PATH.match(text, start, m.end())
            if cand and cand.end() == m.end() and Path(_normalize_path(cand.group())).is_file():
                yield cand.group()
                break
        pos = m.end()


def _image_bytes(path: str) -> bytes:
    data = Path(path).read_bytes()
    head = data[:16]
    is_image = (head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff")
                or (head[:4] == b"RIFF" and head[8:12] == b"WEBP") or head[:6] in (b"GIF87a", b"GIF89a"))
    if not is_image:
        raise ValueError(f"invalid image type: {path}")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError("file size exceeds maximum limit (100MB)")
    return data


def extract_images(text: str, err: TextIO | None = None) -> tuple[str, list[str]]:
    """Find image files named in `text`: (text without them, base64 images). Raises ValueError."""
    err = err or sys.stderr
    images: list[str] = []
    for raw in image_paths(text):
        path = _normalize_path(raw)
        try:
            data = _image_bytes(path)
        except (OSError, ValueError) as e:
            err.write(f"Couldn't process image: {str(e)!r}\n")
            raise ValueError(str(e)) from None
        err.write(f"Added image '{path}'\n")
        for quoted in (f"'{raw}'", f'"{raw}"', f"'{path}'", f'"{path}"', raw):
            text = text.replace(quoted, "")
        images.append(base64.b64encode(data).decode())
    return text.strip(), images
