"""What `pollama run` writes to the terminal: the streamed answer (thinking block, word wrap), the spinner
while the model works, the `--verbose` statistics, and errors."""

from __future__ import annotations

import shutil
import sys
import threading
import unicodedata
from collections.abc import Callable
from typing import Any, TextIO

from pollama.api.duration import format_duration

__all__ = ["ResponseDisplay", "Spinner", "WordWrapper", "isatty", "print_error", "summary"]

GREY, BOLD, RESET = "\x1b[38;5;245m", "\x1b[1m", "\x1b[0m"
THINKING_OPEN = "Thinking...\n"
THINKING_CLOSE = "...done thinking.\n\n"


def print_error(msg: str) -> int:
    """Ollama's `Error: ...` line on stderr; the exit status of a failed command."""
    print(f"Error: {msg}", file=sys.stderr)
    return 1


def summary(final: dict[str, Any]) -> str:
    """The `--verbose` block Ollama prints after an answer (each line only when its value is > 0)."""
    lines = []
    total, load = int(final.get("total_duration") or 0), int(final.get("load_duration") or 0)
    p_count, p_dur = int(final.get("prompt_eval_count") or 0), int(final.get("prompt_eval_duration") or 0)
    e_count, e_dur = int(final.get("eval_count") or 0), int(final.get("eval_duration") or 0)
    if total > 0:
        lines.append(f"total duration:       {format_duration(total)}")
    if load > 0:
        lines.append(f"load duration:        {format_duration(load)}")
    if p_count > 0:
        lines.append(f"prompt eval count:    {p_count} token(s)")
    if p_dur > 0:
        lines.append(f"prompt eval duration: {format_duration(p_dur)}")
        lines.append(f"prompt eval rate:     {p_count / (p_dur / 1e9):.2f} tokens/s")
    if e_count > 0:
        lines.append(f"eval count:           {e_count} token(s)")
    if e_dur > 0:
        lines.append(f"eval duration:        {format_duration(e_dur)}")
        lines.append(f"eval rate:            {e_count / (e_dur / 1e9):.2f} tokens/s")
    drafted, accepted = int(final.get("draft_tokens") or 0), int(final.get("draft_accepted_tokens") or 0)
    if drafted > 0:
        lines.append(f"draft tokens:         {drafted} token(s), {accepted} accepted")
        lines.append(f"draft acceptance:     {100 * accepted / drafted:.1f}%")
    return "".join(line + "\n" for line in lines)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class WordWrapper:
    """Streams text, breaking lines only between words (Ollama wraps 5 columns before the edge).

    A word is held back until it is complete, then goes on this line or the next; a word longer than
    a whole line is split. `width=None` (or < 10) passes text through untouched.
    """

    def __init__(self, write: Callable[[str], None], width: int | None) -> None:
        self.write = write
        self.limit = width - 5 if width is not None and width >= 10 else None
        self.col = 0
        self.word = ""
        self.word_width = 0

    def feed(self, text: str) -> None:
        if self.limit is None:
            self.write(text)
            return
        for ch in text:
            if ch in "\r\n":
                self.flush()
                self.write(ch)
                self.col = 0
            elif ch in " \t":
                self.flush()
                if self.col + 1 > self.limit:
                    self.write("\n")
                    self.col = 0
                else:
                    self.write(ch)
                    self.col += 1
            elif _char_width(ch) == 2:  # wide characters (CJK) break anywhere
                self.flush()
                self.word, self.word_width = ch, 2
                self.flush()
            else:
                self.word += ch
                self.word_width += _char_width(ch)
                if self.word_width >= self.limit:
                    self.flush()

    def flush(self) -> None:
        """Emit the held-back word."""
        if not self.word:
            return
        if self.limit is not None and self.col > 0 and self.col + self.word_width > self.limit:
            self.write("\n")
            self.col = 0
        self.write(self.word)
        self.col += self.word_width
        self.word, self.word_width = "", 0


class Spinner:
    """Ollama's braille spinner on stderr while waiting for the model; silent when not a terminal."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._drawn = False

    def start(self) -> Spinner:
        if isatty(self.stream):
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        return self

    def _spin(self) -> None:
        i = 0
        while not self._stop.wait(0.1):
            with self._lock:
                if self._stop.is_set():
                    return
                self.stream.write(f"\x1b[?25l\r{self.FRAMES[i % len(self.FRAMES)]} ")
                self.stream.flush()
                self._drawn = True
            i += 1

    def stop(self) -> None:
        """Stop and erase the spinner (idempotent)."""
        if self._thread is None:
            return
        with self._lock:
            self._stop.set()
            if self._drawn:
                self.stream.write("\r\x1b[K\x1b[?25h")
                self.stream.flush()
                self._drawn = False
        self._thread.join()
        self._thread = None


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _terminal_width(out: TextIO) -> int | None:
    if not isatty(out):
        return None
    return shutil.get_terminal_size((0, 0)).columns or None


class ResponseDisplay:
    """Prints a streamed answer: the thinking block (grey) then the content, word-wrapped."""

    def __init__(self, out: TextIO, word_wrap: bool, hide_thinking: bool = False) -> None:
        self.out = out
        self.color = isatty(out)
        self.width = _terminal_width(out) if word_wrap else None
        self.hide_thinking = hide_thinking
        self.wrapper = WordWrapper(self._write, self.width)
        self.thinking_open = False
        self.thinking = ""

    def _write(self, text: str) -> None:
        self.out.write(text)

    def add(self, content: str = "", thinking: str = "") -> None:
        if thinking and not self.hide_thinking:
            if not self.thinking_open:
                self._write(GREY + BOLD + THINKING_OPEN + RESET + GREY if self.color else THINKING_OPEN)
                self.thinking_open = True
            self.thinking += thinking
            self.wrapper.feed(thinking)
        if content and self.thinking_open:
            self.wrapper.flush()
            if not self.thinking.endswith("\n"):
                self._write("\n")
            self._write(GREY + BOLD + THINKING_CLOSE + RESET if self.color else THINKING_CLOSE)
            self.thinking_open = False
            self.wrapper = WordWrapper(self._write, self.width)
        if content:
            self.wrapper.feed(content)
        self.out.flush()

    def finish(self) -> None:
        self.wrapper.flush()
        if self.thinking_open and self.color:
            self._write(RESET)
        self.out.flush()
