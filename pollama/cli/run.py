"""`pollama run`: one streamed answer, or the interactive session (pollama/cli/repl.py)."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

from pollama.cli.chat import RunOptions, adopt_model, chat, load_model
from pollama.cli.display import isatty, print_error
from pollama.cli.images import extract_images
from pollama.cli.models import pull
from pollama.client import Client, ClientError

__all__ = ["run"]


def run(opts: RunOptions, insecure: bool = False) -> int:
    """Answer `opts.prompt` (after what stdin brings, when it is piped), or talk at the `>>>` prompt when
    there is no prompt and stdin and stdout are a terminal. A missing model is pulled first."""
    interactive = isatty(sys.stdout)
    if not isatty(sys.stdin):
        stdin_text = sys.stdin.read()
        if stdin_text:
            opts.prompt = f"{stdin_text}\n\n{opts.prompt}" if opts.prompt else stdin_text
        interactive = False
    if opts.prompt:
        interactive = False

    client = Client()
    info = _show_or_pull(client, opts.model, insecure)
    adopt_model(opts, info, think_explicit=opts.think is not None)
    if interactive:
        from pollama.cli.repl import Repl  # prompt_toolkit loads only for the interactive session

        load_model(client, opts)
        return Repl(client, opts, saved_messages=info.get("messages") or []).run()
    return _one_shot(client, opts)


def _show_or_pull(client: Client, name: str, insecure: bool) -> dict[str, Any]:
    try:
        return client.json("POST", "/api/show", {"model": name})
    except ClientError as e:
        if e.status != 404:
            raise
    pull(client, name, insecure, Console(stderr=True))  # as Ollama's: stdout is the answer
    return client.json("POST", "/api/show", {"model": name})


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
            return print_error(str(e))
        if images:
            message["images"] = images
    opts.messages = [message]
    chat(client, opts)
    return 0
