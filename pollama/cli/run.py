"""`pollama run`: one streamed answer, or the interactive REPL (pollama/cli/repl.py).

Also the pieces the REPL shares: the session state (`RunOptions`), the streaming chat call with
Ctrl+C handling, the thinking / word-wrap display, `--verbose` statistics and image attachment.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import shutil
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pollama.client import Client, ClientError

__all__ = [
    "RunOptions",
    "ResponseDisplay",
    "Spinner",
    "WordWrapper",
    "chat",
    "chat_request",
    "extract_images",
    "go_duration",
    "image_paths",
    "load_model",
    "parse_think",
    "run",
    "summary",
]

THINK_LEVELS = ("high", "medium", "low")
GREY, BOLD, RESET = "\x1b[38;5;245m", "\x1b[1m", "\x1b[0m"
THINKING_OPEN = "Thinking...\n"
THINKING_CLOSE = "...done thinking.\n\n"
MAX_IMAGE_BYTES = 100 * 1024 * 1024


@dataclass
class RunOptions:
    """Everything a run session carries from one turn to the next."""

    model: str
    parent_model: str = ""
    prompt: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    word_wrap: bool = True
    format: str = ""
    system: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    multimodal: bool = False
    keep_alive: str | None = None
    think: bool | str | None = None
    hide_thinking: bool = False
    verbose: bool = False


# ---- formatting ----------------------------------------------------------------------------------
def _frac(value: int, digits: int) -> str:
    """`value / 10**digits` the way Go prints it: trailing zeros (and a bare point) dropped."""
    whole, rest = divmod(value, 10**digits)
    tail = f"{rest:0{digits}d}".rstrip("0") if digits else ""
    return f"{whole}.{tail}" if tail else str(whole)


def go_duration(ns: int) -> str:
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


def summary(final: dict[str, Any]) -> str:
    """The `--verbose` block Ollama prints after an answer (each line only when its value is > 0)."""
    lines = []
    total, load = int(final.get("total_duration") or 0), int(final.get("load_duration") or 0)
    p_count, p_dur = int(final.get("prompt_eval_count") or 0), int(final.get("prompt_eval_duration") or 0)
    e_count, e_dur = int(final.get("eval_count") or 0), int(final.get("eval_duration") or 0)
    if total > 0:
        lines.append(f"total duration:       {go_duration(total)}")
    if load > 0:
        lines.append(f"load duration:        {go_duration(load)}")
    if p_count > 0:
        lines.append(f"prompt eval count:    {p_count} token(s)")
    if p_dur > 0:
        lines.append(f"prompt eval duration: {go_duration(p_dur)}")
        lines.append(f"prompt eval rate:     {p_count / (p_dur / 1e9):.2f} tokens/s")
    if e_count > 0:
        lines.append(f"eval count:           {e_count} token(s)")
    if e_dur > 0:
        lines.append(f"eval duration:        {go_duration(e_dur)}")
        lines.append(f"eval rate:            {e_count / (e_dur / 1e9):.2f} tokens/s")
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
        if _isatty(self.stream):
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


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _terminal_width(out: TextIO) -> int | None:
    if not _isatty(out):
        return None
    return shutil.get_terminal_size((0, 0)).columns or None


class ResponseDisplay:
    """Prints a streamed answer: the thinking block (grey) then the content, word-wrapped."""

    def __init__(self, out: TextIO, word_wrap: bool, hide_thinking: bool = False) -> None:
        self.out = out
        self.color = _isatty(out)
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


# ---- images ----------------------------------------------------------------------------------------
_IMAGE_PATH = re.compile(r"(?:[a-zA-Z]:)?(?:\./|\.\./|~/|/|\\)[\S\\ ]+?\.(?i:jpg|jpeg|png|webp)\b")
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
                or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))
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


# ---- requests ---------------------------------------------------------------------------------------
def parse_think(value: str | None) -> bool | str | None:
    """The `--think[=...]` flag: None when absent. Raises ValueError on an unknown value."""
    if value is None:
        return None
    if value in ("", "true"):
        return True
    if value == "false":
        return False
    if value in THINK_LEVELS:
        return value
    raise ValueError(f'invalid value for --think: "{value}" (must be true, false, high, medium, or low)')


def _format_value(fmt: str) -> Any:
    if not fmt or fmt == "json":
        return fmt
    try:
        return json.loads(fmt)  # a JSON schema given inline
    except json.JSONDecodeError:
        return fmt


def chat_request(opts: RunOptions) -> dict[str, Any]:
    body: dict[str, Any] = {"model": opts.model, "messages": opts.messages}
    if opts.format:
        body["format"] = _format_value(opts.format)
    if opts.options:
        body["options"] = opts.options
    if opts.keep_alive is not None:
        body["keep_alive"] = opts.keep_alive
    if opts.think is not None:
        body["think"] = opts.think
    return body


def load_model(client: Client, opts: RunOptions) -> None:
    """Load the model (an empty generate) so the first answer does not wait; fails early on bad think."""
    body: dict[str, Any] = {"model": opts.model}
    if opts.keep_alive is not None:
        body["keep_alive"] = opts.keep_alive
    if opts.think is not None:
        body["think"] = opts.think
    spinner = Spinner().start()
    try:
        for _ in client.stream("/api/generate", body):
            pass
    finally:
        spinner.stop()


def chat(client: Client, opts: RunOptions, out: TextIO | None = None) -> dict[str, Any] | None:
    """Stream one answer to `out`. Returns the assistant message, or None when Ctrl+C stopped it."""
    out = out or sys.stdout
    display = ResponseDisplay(out, opts.word_wrap, opts.hide_thinking)
    spinner = Spinner().start()
    final: dict[str, Any] = {}
    role, content, thinking = "assistant", [], []
    stream = client.stream("/api/chat", chat_request(opts))
    try:
        for chunk in stream:
            msg = chunk.get("message") or {}
            text, thought = msg.get("content") or "", msg.get("thinking") or ""
            if text or (thought and not opts.hide_thinking):
                spinner.stop()
            role = msg.get("role") or role
            content.append(text)
            thinking.append(thought)
            display.add(text, thought)
            if chunk.get("done"):
                final = chunk
    except KeyboardInterrupt:
        spinner.stop()
        stream.close()
        display.finish()
        out.write("\n")
        out.flush()
        return None
    finally:
        spinner.stop()
        stream.close()
    display.finish()
    if opts.messages:
        out.write("\n\n")
        out.flush()
    if opts.verbose and final:
        sys.stderr.write(summary(final))
        sys.stderr.flush()
    message: dict[str, Any] = {"role": role, "content": "".join(content)}
    if any(thinking):
        message["thinking"] = "".join(thinking)
    return message


# ---- entry -------------------------------------------------------------------------------------------
_VALUE_FLAGS = {"--format", "--keepalive"}


def _fix_think_flag(args: argparse.Namespace, argv: list[str]) -> None:
    """`--think PROMPT`: like pflag, a bare --think takes no value, so give the word back to the prompt."""
    value = args.think
    if value is None or value in ("", "true", "false", *THINK_LEVELS) or f"--think={value}" in argv:
        return
    if "--think" not in argv:
        return
    idx = argv.index("--think")
    before, skip = 0, False
    tokens = argv[argv.index("run") + 2:idx] if "run" in argv and argv.index("run") + 1 < idx else []
    for tok in tokens:
        if skip:
            skip = False
        elif tok in _VALUE_FLAGS:
            skip = True
        elif not tok.startswith("--"):
            before += 1
    args.prompt = [*args.prompt[:before], value, *args.prompt[before:]]
    args.think = "true"


def _show(client: Client, name: str, insecure: bool) -> dict[str, Any]:
    try:
        return client.json("POST", "/api/show", {"model": name})
    except ClientError as e:
        if e.status != 404:
            raise
    from pollama.cli.main import cmd_pull

    with contextlib.redirect_stdout(sys.stderr):  # progress goes to stderr, as Ollama's: stdout is the answer
        cmd_pull(argparse.Namespace(model=name, insecure=insecure))
    return client.json("POST", "/api/show", {"model": name})


def _error(msg: str) -> int:
    print(f"Error: {msg}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    """`pollama run MODEL [PROMPT...]`."""
    from pollama.api.duration import parse_duration

    _fix_think_flag(args, sys.argv)
    try:
        think = parse_think(args.think)
    except ValueError as e:
        return _error(str(e))
    if args.keepalive:
        try:
            parse_duration(args.keepalive)
        except ValueError as e:
            return _error(str(e))
    opts = RunOptions(model=args.model, format=args.format or "", keep_alive=args.keepalive or None,
                      think=think, hide_thinking=args.hidethinking, verbose=args.verbose,
                      word_wrap=not args.nowordwrap)
    interactive = _isatty(sys.stdout)
    opts.prompt = " ".join(args.prompt or [])
    if not _isatty(sys.stdin):
        stdin_text = sys.stdin.read()
        if stdin_text:
            opts.prompt = f"{stdin_text}\n\n{opts.prompt}" if opts.prompt else stdin_text
        interactive = False
    if opts.prompt:
        interactive = False

    client = Client()
    info = _show(client, args.model, args.insecure)
    caps = info.get("capabilities") or []
    if think is None and "thinking" in caps:
        opts.think = True
    opts.multimodal = "vision" in caps or bool(info.get("projector_info"))
    opts.parent_model = (info.get("details") or {}).get("parent_model") or ""

    if interactive:
        from pollama.cli.repl import Repl

        load_model(client, opts)
        return Repl(client, opts, saved_messages=info.get("messages") or []).run()
    return _one_shot(client, opts)


def _one_shot(client: Client, opts: RunOptions) -> int:
    if not opts.prompt:  # nothing to ask: just load the model, as Ollama does
        opts.messages = []
        chat(client, opts)
        return 0
    message: dict[str, Any] = {"role": "user", "content": opts.prompt}
    if opts.multimodal:
        try:
            message["content"], images = extract_images(opts.prompt)
        except ValueError as e:
            return _error(str(e))
        if images:
            message["images"] = images
    opts.messages = [message]
    chat(client, opts)
    return 0
