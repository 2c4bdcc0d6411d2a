"""A runner that says what a test wants, behind the real scheduler of an in-process app (tests/app_thread.py).

A random tiny model cannot be made to write a given text; tests of what the server makes of a model's
output (parsers, tool calls, thinking) put `Script.start` in place of `RunnerProcess.start`, so every model
the app loads gets a `ScriptedRunner`. Its completions stream `script.output` in pieces of `script.piece`
characters, DeepSeek's `<｜...｜>` special tokens whole (a real runner streams each as one token); each
request is kept in `script.requests`. Its tokenizer is one token per character, so a
request's tokens give back its prompt (`Script.prompt`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pollama.runner.protocol import CompletionRequest, Embedded, Finished, Piece

__all__ = ["Script", "ScriptedRunner"]

_SPECIAL = re.compile(r"(<｜[^｜]*｜>)")


@dataclass
class Script:
    output: str = ""
    piece: int = 3
    requests: list[CompletionRequest] = field(default_factory=list)

    async def start(self, *args: Any, **kwargs: Any) -> ScriptedRunner:
        """Stands in for RunnerProcess.start: whatever model is loaded, its runner follows this script."""
        return ScriptedRunner(self)

    def pieces(self) -> list[str]:
        """`output` as the runner streams it."""
        out: list[str] = []
        for part in _SPECIAL.split(self.output):
            if _SPECIAL.fullmatch(part):
                out.append(part)
            else:
                out += [part[i:i + self.piece] for i in range(0, len(part), self.piece)]
        return out

    def prompt(self, request: CompletionRequest | None = None) -> str:
        """The prompt of `request` (default: the last one)."""
        request = request or self.requests[-1]
        return request.prompt if request.tokens is None else "".join(map(chr, request.tokens))


class ScriptedRunner:
    """pollama.runner.protocol.Runner, scripted."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.alive = True

    async def completion(self, req: CompletionRequest) -> AsyncGenerator[Piece | Finished, None]:
        self.script.requests.append(req)
        pieces = self.script.pieces()
        for piece in pieces:
            yield Piece(piece)
        yield Finished(done_reason="stop", prompt_eval_count=len(req.tokens or []), eval_count=len(pieces))

    async def embed(self, text: str, truncate: bool = True) -> Embedded:
        raise NotImplementedError("a scripted runner generates text only")

    async def tokenize(self, text: str, *, special: bool = True, add_special: bool = False) -> list[int]:
        return [ord(c) for c in text]

    async def detokenize(self, tokens: Sequence[int]) -> str:
        return "".join(map(chr, tokens))

    async def stop(self, timeout: float = 5.0, reason: str | None = None) -> None:
        self.alive = False
