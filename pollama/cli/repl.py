"""The interactive `pollama run` session: Ollama's `>>> ` prompt, its slash commands and their texts."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import sys
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.application.current import get_app
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import History
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from pollama.api.options import parse_parameter
from pollama.cli.chat import RunOptions, adopt_model, chat, load_model
from pollama.cli.display import ResponseDisplay
from pollama.cli.editor import EditorError, edit_text
from pollama.cli.images import extract_images, image_paths
from pollama.cli.models import list_models, show_model
from pollama.client import Client, ClientError
from pollama.config import settings
from pollama.prompt.gofmt import format_value

__all__ = ["Repl", "PlainHistory", "history_path"]

PROMPT, ALT_PROMPT = ">>> ", "... "
PLACEHOLDER, ALT_PLACEHOLDER = "Send a message (/? for help)", "Press Enter to send"

USAGE = """Available Commands:
  /set            Set session variables
  /show           Show model information
  /load <model>   Load a session or model
  /save <model>   Save your current session
  /clear          Clear session context
  /bye            Exit
  /?, /help       Help for a command
  /? shortcuts    Help for keyboard shortcuts

Use \"\"\" to begin a multi-line message.
"""
USAGE_IMAGES = "Use /path/to/file to include .jpg, .png, or .webp images.\n"

USAGE_SET = """Available Commands:
  /set parameter ...     Set a parameter
  /set system <string>   Set system message
  /set history           Enable history
  /set nohistory         Disable history
  /set wordwrap          Enable wordwrap
  /set nowordwrap        Disable wordwrap
  /set format json       Enable JSON mode
  /set noformat          Disable formatting
  /set verbose           Show LLM stats
  /set quiet             Disable LLM stats
  /set think             Enable thinking
  /set nothink           Disable thinking
"""

USAGE_SHORTCUTS = """Available keyboard shortcuts:
  Ctrl + a            Move to the beginning of the line (Home)
  Ctrl + e            Move to the end of the line (End)
   Alt + b            Move back (left) one word
   Alt + f            Move forward (right) one word
  Ctrl + k            Delete the sentence after the cursor
  Ctrl + u            Delete the sentence before the cursor
  Ctrl + w            Delete the word before the cursor

  Ctrl + l            Clear the screen
  Ctrl + g            Open default editor to compose a prompt
  Ctrl + c            Stop the model from responding
  Ctrl + d            Exit pollama (/bye)
"""

USAGE_SHOW = """Available Commands:
  /show info         Show details for this model
  /show license      Show model license
  /show modelfile    Show Modelfile for this model
  /show parameters   Show parameters for this model
  /show system       Show system message
  /show template     Show prompt template
"""

USAGE_PARAMETERS = """Available Parameters:
  /set parameter seed <int>             Random number seed
  /set parameter num_predict <int>      Max number of tokens to predict
  /set parameter top_k <int>            Pick from top k num of tokens
  /set parameter top_p <float>          Pick token based on sum of probabilities
  /set parameter min_p <float>          Pick token based on top token probability * min_p
  /set parameter num_ctx <int>          Set the context size
  /set parameter temperature <float>    Set creativity level
  /set parameter repeat_penalty <float> How strongly to penalize repetitions
  /set parameter repeat_last_n <int>    Set how far back to look for repetitions
  /set parameter num_gpu <int>          The number of layers to send to the GPU
  /set parameter stop <string> <string> ...   Set the stop parameters
"""


class _Multiline(Enum):
    NONE = 0
    PROMPT = 1
    SYSTEM = 2


def history_path() -> Path:
    return Path(os.path.expanduser("~/.ollama/history"))


class PlainHistory(History):
    """Ollama's history file: one entry per line, the last 100 kept, rewritten atomically (0600).

    While disabled (OLLAMA_NOHISTORY, /set nohistory) entries stay in memory but are not saved.
    """

    LIMIT = 100

    def __init__(self, path: Path, enabled: bool = True) -> None:
        super().__init__()
        self.path = path
        self.enabled = enabled
        self.entries: list[str] = []
        with contextlib.suppress(OSError):
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            self.entries = [ln.strip() for ln in lines if ln.strip()][-self.LIMIT:]

    def load_history_strings(self) -> Iterable[str]:
        return list(reversed(self.entries))

    def store_string(self, string: str) -> None:
        self.entries.extend(ln for ln in string.splitlines() if ln.strip())
        del self.entries[:-self.LIMIT]
        if self.enabled:
            self.save()

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.writelines(e + "\n" for e in self.entries)
            os.replace(tmp, self.path)
        except OSError:
            pass  # history is a convenience: never break the session over it


class _Exit(Exception):
    """/bye."""


class Repl:
    """One interactive session; `run()` returns the exit status."""

    def __init__(self, client: Client, opts: RunOptions, saved_messages: list[dict[str, Any]] | None = None,
                 no_history: bool | None = None) -> None:
        self.client = client
        self.opts = opts
        self.model_messages = list(saved_messages or [])
        cfg = settings()
        self.editor = cfg.editor
        if no_history is None:
            no_history = cfg.no_history
        self.history = PlainHistory(history_path(), enabled=not no_history)
        self.think_explicit = opts.think is not None
        self.buf = ""
        self.multiline = _Multiline.NONE
        self.alt = False
        self.session: Any = None

    # ---- I/O ----------------------------------------------------------------------------------------
    def _read(self) -> str:
        if self.session is None:
            self.session = PromptSession(history=self.history, enable_suspend=True,
                                         key_bindings=self._editor_key())
        prompt, hint = (ALT_PROMPT, ALT_PLACEHOLDER) if self.alt else (PROMPT, PLACEHOLDER)

        def placeholder() -> FormattedText:  # gone once the line is accepted, as in Ollama
            return FormattedText([] if get_app().is_done else [("fg:ansibrightblack", hint)])

        return self.session.prompt(prompt, placeholder=placeholder)

    def _editor_key(self) -> KeyBindings:
        """Ctrl+G: the line so far goes to the editor; what it saves replaces the line (not sent yet)."""
        keys = KeyBindings()

        @keys.add("c-g")
        def _edit(event: KeyPressEvent) -> None:
            event.app.create_background_task(self._edit(event.current_buffer))

        return keys

    async def _edit(self, buffer: Buffer) -> None:
        def edit() -> str:
            try:
                return edit_text(buffer.text, self.editor)
            except EditorError as e:
                sys.stderr.write(f"error: {e}\n")
                return ""

        text = await run_in_terminal(edit)
        if text.strip():
            buffer.text = text
            buffer.cursor_position = len(text)

    @staticmethod
    def _say(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    @staticmethod
    def _usage(text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def _replay(self) -> None:
        """Show the conversation a saved session model carries."""
        for msg in self.model_messages:
            if msg.get("role") == "user":
                self._say(f">>> {msg.get('content', '')}")
            elif msg.get("role") == "assistant":
                display = ResponseDisplay(sys.stdout, self.opts.word_wrap)
                display.add(msg.get("content", ""))
                display.finish()
                self._say("\n")

    # ---- loop ---------------------------------------------------------------------------------------
    def run(self) -> int:
        self._replay()
        while True:
            try:
                line = self._read()
            except KeyboardInterrupt:
                typed = self.session.default_buffer.text if self.session is not None else ""
                if not typed:
                    self._say("Use Ctrl + d or /bye to exit.")
                self.alt, self.buf, self.multiline = False, "", _Multiline.NONE
                continue
            except EOFError:
                return 0
            try:
                self.handle(line)
            except _Exit:
                return 0
            except KeyboardInterrupt:
                self._say("")

    def handle(self, line: str) -> None:
        """One line from the prompt: a command, part of a multi-line message, or a message."""
        if self.multiline is not _Multiline.NONE:
            before, ended = _cut_suffix(line, '"""')
            self.buf += before
            if not ended:
                self.buf += "\n"
                self.alt = True
                return
            if self.multiline is _Multiline.SYSTEM:
                self._set_system(self.buf)
                self._say("Set system message.")
                self.buf = ""
            self.multiline = _Multiline.NONE
            self.alt = False
        elif line.startswith('"""'):
            rest, ended = _cut_suffix(line[3:], '"""')
            self.buf += rest
            if not ended:
                self.buf += "\n"
                self.multiline = _Multiline.PROMPT
                self.alt = True
        elif line.startswith("/") and "\n" not in line and not self._is_image_path(line):
            self._command(line)
            return
        else:
            self.buf += line
        if self.buf and self.multiline is _Multiline.NONE:
            text, self.buf = self.buf, ""
            self._send(text)

    def _is_image_path(self, line: str) -> bool:
        if not self.opts.multimodal:
            return False
        first = line.split()[0]
        return any(c.startswith(first) for c in image_paths(line))

    def _send(self, text: str) -> None:
        message: dict[str, Any] = {"role": "user", "content": text}
        if self.opts.multimodal:
            try:
                message["content"], images = extract_images(text)
            except ValueError:
                return
            if images:
                message["images"] = images
        self.opts.messages.append(message)
        try:
            reply = chat(self.client, self.opts)
        except ClientError as e:
            self.opts.messages.pop()
            if "does not support thinking" in e.message or "invalid think value" in e.message:
                self._say(f"error: {e.message}")
                return
            raise
        except KeyboardInterrupt:
            reply = None
            self._say("")
        if reply is None:  # stopped with Ctrl+C: the turn did not happen
            self.opts.messages.pop()
        else:
            self.opts.messages.append(reply)

    # ---- commands -----------------------------------------------------------------------------------
    def _command(self, line: str) -> None:
        args = line.split()
        name = args[0]
        if name in ("/bye", "/exit"):
            raise _Exit
        handlers = {"/set": self._cmd_set, "/show": self._cmd_show, "/load": self._cmd_load,
                    "/save": self._cmd_save, "/clear": self._cmd_clear, "/help": self._cmd_help,
                    "/?": self._cmd_help, "/list": self._cmd_list}
        handler = handlers.get(name)
        if handler is None:
            self._say(f"Unknown command '{name}'. Type /? for help")
            return
        handler(args, line)

    def _cmd_help(self, args: list[str], line: str) -> None:
        if len(args) == 1:
            self._usage(USAGE + (USAGE_IMAGES if self.opts.multimodal else ""))
        elif args[1] in ("set", "/set"):
            self._usage(USAGE_SET)
        elif args[1] in ("show", "/show"):
            self._usage(USAGE_SHOW)
        elif args[1] in ("shortcut", "shortcuts"):
            self._usage(USAGE_SHORTCUTS)

    def _cmd_list(self, args: list[str], line: str) -> None:
        list_models(self.client)

    def _cmd_clear(self, args: list[str], line: str) -> None:
        self.opts.messages = []
        if self.opts.system:
            self.opts.messages.append({"role": "system", "content": self.opts.system})
        self._say("Cleared session context")

    def _set_system(self, text: str) -> None:
        self.opts.system = text
        message = {"role": "system", "content": text}
        if self.opts.messages and self.opts.messages[-1].get("role") == "system":
            self.opts.messages[-1] = message
        else:
            self.opts.messages.append(message)

    def _cmd_set(self, args: list[str], line: str) -> None:
        if len(args) < 2:
            self._usage(USAGE_SET)
            return
        what, opts = args[1], self.opts
        if what == "history":
            self.history.enabled = True
        elif what == "nohistory":
            self.history.enabled = False
        elif what in ("wordwrap", "nowordwrap"):
            opts.word_wrap = what == "wordwrap"
            self._say(f"Set '{what}' mode.")
        elif what in ("verbose", "quiet"):
            opts.verbose = what == "verbose"
            self._say(f"Set '{what}' mode.")
        elif what == "think":
            level = args[2] if len(args) > 2 else ""
            opts.think = level or True
            self.think_explicit = True
            self._warn_no_thinking()
            self._say(f"Set 'think' mode to '{level}'." if level else "Set 'think' mode.")
        elif what == "nothink":
            opts.think = False
            self.think_explicit = True
            self._warn_no_thinking()
            self._say("Set 'nothink' mode.")
        elif what == "format":
            if len(args) < 3 or args[2] != "json":
                self._say("Invalid or missing format. For 'json' mode use '/set format json'")
            else:
                opts.format = args[2]
                self._say(f"Set format to '{args[2]}' mode.")
        elif what == "noformat":
            opts.format = ""
            self._say("Disabled format.")
        elif what == "parameter":
            self._set_parameter(args)
        elif what == "system":
            self._cmd_set_system(args, line)
        else:
            self._say(f"Unknown command '/set {what}'. Type /? for help")

    def _set_parameter(self, args: list[str]) -> None:
        if len(args) < 4:
            self._usage(USAGE_PARAMETERS)
            return
        name, values = args[2], args[3:]
        try:
            value = parse_parameter(name, values)[1]  # as a Modelfile PARAMETER is parsed
        except (ValueError, TypeError, KeyError) as e:
            self._say(f"Couldn't set parameter: {json.dumps(str(e), ensure_ascii=False)}")
            return
        self._say(f"Set parameter '{name}' to '{', '.join(values)}'")
        if value is not None:  # None: a deprecated parameter, accepted and ignored
            self.opts.options[name] = value

    def _cmd_set_system(self, args: list[str], line: str) -> None:
        if len(args) < 3:
            self._usage(USAGE_SET)
            return
        text = line.split(None, 2)[2].strip()
        if text.startswith('"""'):
            text, ended = _cut_suffix(text[3:], '"""')
            if not ended:
                self.buf += text + "\n"
                self.multiline = _Multiline.SYSTEM
                self.alt = True
                return
        self._set_system(text)
        self._say("Set system message.")

    def _warn_no_thinking(self) -> None:
        try:
            info = self.client.json("POST", "/api/show", {"model": self.opts.model})
        except ClientError:
            return
        if "thinking" not in (info.get("capabilities") or []):
            sys.stderr.write(f'warning: model "{self.opts.model}" does not support thinking output\n')

    def _cmd_show(self, args: list[str], line: str) -> None:
        if len(args) < 2:
            self._usage(USAGE_SHOW)
            return
        body: dict[str, Any] = {"model": self.opts.model}
        if self.opts.system:
            body["system"] = self.opts.system
        if self.opts.options:
            body["options"] = self.opts.options
        try:
            resp = self.client.json("POST", "/api/show", body)
        except ClientError:
            self._say("error: couldn't get model")
            raise
        what = args[1]
        if what == "info":
            show_model(self.client, self.opts.model)
        elif what == "license":
            self._say(resp.get("license") or "No license was specified for this model.")
        elif what == "modelfile":
            self._say(resp.get("modelfile", ""))
        elif what == "parameters":
            self._show_parameters(resp.get("parameters") or "")
        elif what == "system":
            system = self.opts.system or resp.get("system") or ""
            self._say(system + "\n" if system else "No system message was specified for this model.")
        elif what == "template":
            self._say(resp.get("template") or "No prompt template was specified for this model.")
        else:
            self._say(f"Unknown command '/show {what}'. Type /? for help")

    def _show_parameters(self, model_params: str) -> None:
        lines = ["Model defined parameters:"]
        if model_params:
            lines += [f"  {ln}" for ln in model_params.split("\n")]
        else:
            lines.append("  No additional parameters were specified for this model.")
        lines.append("")
        if self.opts.options:
            lines.append("User defined parameters:")
            lines += [f"  {k:<30} {format_value(v)}" for k, v in self.opts.options.items()]
            lines.append("")
        self._say("\n".join(lines))

    def _cmd_load(self, args: list[str], line: str) -> None:
        if len(args) != 2:
            self._say("Usage:\n  /load <modelname>")
            return
        before = copy.deepcopy(self.opts), list(self.model_messages)
        opts = self.opts
        opts.model, opts.messages, opts.system = args[1], [], ""
        self._say(f"Loading model '{opts.model}'")
        try:
            info = self.client.json("POST", "/api/show", {"model": opts.model})
            adopt_model(opts, info, self.think_explicit)
            load_model(self.client, opts)
        except ClientError as e:
            if "not found" in e.message:
                self._say(f"Couldn't find model '{opts.model}'")
                self.opts, self.model_messages = before
                return
            if "does not support thinking" in e.message:
                self._say(f"error: {e.message}")
                return
            raise
        self.model_messages = list(info.get("messages") or [])

    def _cmd_save(self, args: list[str], line: str) -> None:
        if len(args) != 2:
            self._say("Usage:\n  /save <modelname>")
            return
        body: dict[str, Any] = {"model": args[1], "from": self.opts.model}
        if self.opts.system:
            body["system"] = self.opts.system
        if self.opts.options:
            body["parameters"] = self.opts.options
        messages = self.model_messages + self.opts.messages
        if messages:
            body["messages"] = messages
        try:
            for _ in self.client.stream("/api/create", body):
                pass
        except ClientError as e:
            if "invalid model name" in e.message.lower():
                self._say(f"error: The model name '{args[1]}' is invalid")
                return
            raise
        self._say(f"Created new model '{args[1]}'")


def _cut_suffix(text: str, suffix: str) -> tuple[str, bool]:
    return (text[: -len(suffix)], True) if text.endswith(suffix) else (text, False)
