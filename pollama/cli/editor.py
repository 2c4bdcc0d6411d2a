"""Ctrl+G in the REPL, as in Ollama: the line typed so far opens in an external editor (OLLAMA_EDITOR, else
$VISUAL, else $EDITOR, else vi), and what it saves comes back as the line, to be sent with Enter."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile

__all__ = ["EditorError", "edit_text", "editor_command"]

DEFAULT_EDITOR = "vi"


class EditorError(Exception):
    pass


def editor_command(configured: str) -> list[str]:
    """The editor's command words (Ollama splits them at whitespace); EditorError if it cannot be found."""
    editor = configured or os.environ.get("VISUAL", "") or os.environ.get("EDITOR", "") or DEFAULT_EDITOR
    words = editor.split() or [DEFAULT_EDITOR]
    if shutil.which(words[0]) is None:
        raise EditorError(f'editor "{words[0]}" not found, set OLLAMA_EDITOR to the path of your preferred editor')
    return words


def edit_text(text: str, configured: str) -> str:
    """`text` as the user left it in the editor (trailing newlines dropped); the file is removed after."""
    command = editor_command(configured)
    fd, path = tempfile.mkstemp(prefix="ollama-prompt-", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            subprocess.run([*command, path], check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            raise EditorError(f"editor exited with error: {e}") from None
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().rstrip("\n")
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
