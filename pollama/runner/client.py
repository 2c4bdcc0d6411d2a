"""Async client for the runner process: start it, stream completions, embed, rank, tokenize, stop it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections import deque
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any

from pollama.api.errors import APIError
from pollama.runner.protocol import (
    CompletionRequest,
    DetokenizeRequest,
    Embedded,
    EmbedRequest,
    Finished,
    ImageInput,
    InfoRequest,
    Piece,
    RankRequest,
    Request,
    TokenizeRequest,
    completion_reply,
)

__all__ = ["RunnerError", "RunnerProcess", "UNEXPECTED_STOP"]

log = logging.getLogger("pollama.runner.client")

UNEXPECTED_STOP = ("model runner has unexpectedly stopped, this may be due to resource limitations or an "
                   "internal error, check ollama server logs for details")
_LINE_LIMIT = 256 << 20


class RunnerError(APIError):
    """The runner refused a request (status 400, as its error reply says), failed to start, or died (500).

    An APIError, so every route answers it with its status without looking at the message."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message, status)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["POLLAMA_RUNNER_PARENT"] = str(os.getpid())
    return env


class RunnerProcess:
    """A running `python -m pollama.runner` child and the port it serves on (a protocol.Runner)."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int, info: dict[str, Any],
                 tail: deque[str], stderr_task: asyncio.Task[None]) -> None:
        self.proc = proc
        self.port = port
        self.info = info
        self._tail = tail  # the last stderr lines, for the error when it dies
        self._stderr_task = stderr_task
        self._stop_reason: str | None = None

    # ---- lifecycle --------------------------------------------------------------------------------
    @classmethod
    async def start(cls, model_path: str | os.PathLike[str], *, ctx: int = 2048, parallel: int = 1,
                    batch: int = 512, threads: int = 0, embedding: bool = False,
                    loras: Sequence[str | os.PathLike[str]] = (), flush_interval: float = 0.0,
                    timeout: float | None = 600.0, flash_attn: str = "auto", cache_type: str = "f16",
                    projector: str | os.PathLike[str] | None = None,
                    rpc_servers: Sequence[str] = (), tensor_split: str = "",
                    draft: str | os.PathLike[str] | None = None) -> RunnerProcess:
        """Spawn a runner and wait until it has loaded the model (and its vision `projector`, its `draft` model); RunnerError if
        it cannot."""
        args = [sys.executable, "-m", "pollama.runner", "--model", str(model_path), "--ctx", str(ctx),
                "--parallel", str(parallel), "--batch", str(batch), "--threads", str(threads),
                "--flash-attn", flash_attn, "--cache-type", cache_type]
        if flush_interval > 0:
            args += ["--flush-interval", str(flush_interval)]
        if embedding:
            args.append("--embedding")
        for lora in loras:
            args += ["--lora", str(lora)]
        if rpc_servers:  # llama.cpp RPC servers the layers spread over (pollama.runner.rpc)
            args += ["--rpc", ",".join(rpc_servers), "--tensor-split", tensor_split]
        if projector is not None:
            args += ["--mmproj", str(projector)]
        if draft is not None:
            args += ["--draft", str(draft)]
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=_child_env(), limit=_LINE_LIMIT)
        tail: deque[str] = deque(maxlen=64)
        task = asyncio.ensure_future(cls._drain(proc, tail))
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        except (TimeoutError, asyncio.CancelledError) as e:
            await cls._kill(proc, task)
            if isinstance(e, asyncio.CancelledError):  # the request that wanted it is gone
                raise
            raise RunnerError("timed out waiting for the model runner to load the model") from None
        msg: dict[str, Any] = {}
        with contextlib.suppress(ValueError):
            msg = json.loads(line) if line else {}
        if msg.get("status") == "ready":
            log.info("runner %d ready: flash attention %s, KV cache K %s V %s, %.2f MiB", proc.pid,
                     msg.get("flash_attn"), msg.get("kv_cache_type_k"), msg.get("kv_cache_type_v"),
                     msg.get("kv_cache_bytes", 0) / (1 << 20))
            return cls(proc, int(msg["port"]), msg, tail, task)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 10)
        await cls._kill(proc, task)
        if msg.get("error"):
            raise RunnerError(str(msg["error"]))
        raise RunnerError(cls._exit_text(proc.returncode, tail) or "model runner failed to start")

    @staticmethod
    async def _drain(proc: asyncio.subprocess.Process, tail: deque[str]) -> None:
        assert proc.stderr is not None
        while True:
            try:
                line = await proc.stderr.readline()
            except (ValueError, asyncio.LimitOverrunError):
                continue
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                tail.append(text)
                log.debug("runner %d: %s", proc.pid, text)

    @staticmethod
    async def _kill(proc: asyncio.subprocess.Process, task: asyncio.Task[None]) -> None:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, 2)

    @staticmethod
    def _exit_text(code: int | None, tail: deque[str]) -> str:
        parts = []
        if code is not None:
            parts.append(f"exit status {code}" if code >= 0 else f"signal {-code}")
        if tail:
            parts.append(tail[-1])
        return ": ".join(parts)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    async def stop(self, timeout: float = 5.0, reason: str | None = None) -> None:
        """Terminate the runner (kill it if it does not exit within `timeout`); requests in flight fail
        with `reason` (status 503) if one is given."""
        self._stop_reason = reason
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._stderr_task, 2)

    # ---- requests ---------------------------------------------------------------------------------
    async def _died(self) -> RunnerError:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.proc.wait()), 2)
        if self._stop_reason:
            return RunnerError(self._stop_reason, 503)
        if self.proc.returncode is None:
            return RunnerError("model runner closed the connection unexpectedly")
        await asyncio.sleep(0.05)  # let the last stderr lines arrive
        detail = self._exit_text(self.proc.returncode, self._tail)
        return RunnerError(f"{UNEXPECTED_STOP} ({detail})" if detail else UNEXPECTED_STOP)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.proc.returncode is not None:
            raise await self._died()
        try:
            return await asyncio.open_connection("127.0.0.1", self.port, limit=_LINE_LIMIT)
        except OSError:
            raise await self._died() from None

    async def _lines(self, req: Request) -> AsyncGenerator[dict[str, Any], None]:
        """Send one request; yield reply lines up to and including the one with `done`.

        Closing the iterator early closes the connection, which cancels the request in the runner.
        """
        reader, writer = await self._open()
        try:
            writer.write(req.encode())
            while True:
                try:
                    line = await reader.readline()
                except (ConnectionError, OSError):
                    line = b""
                if not line:
                    raise await self._died()
                msg = json.loads(line)
                if "error" in msg:
                    raise RunnerError(str(msg["error"]), 400 if msg.get("status") == 400 else 500)
                yield msg
                if msg.get("done"):
                    return
        finally:
            writer.close()

    async def _single(self, req: Request) -> dict[str, Any]:
        async with contextlib.aclosing(self._lines(req)) as stream:
            async for msg in stream:
                if msg.get("done"):
                    return msg
        raise RunnerError("model runner sent no reply")

    async def completion(self, req: CompletionRequest) -> AsyncGenerator[Piece | Finished, None]:
        """Stream a completion: `Piece`s, then the `Finished` reply (see pollama.runner.protocol)."""
        async with contextlib.aclosing(self._lines(req)) as stream:
            async for msg in stream:
                yield completion_reply(msg)

    async def embed(self, text: str, truncate: bool = True) -> Embedded:
        """The raw pooled vector (not normalized) and the tokens it took."""
        msg = await self._single(EmbedRequest(text, truncate))
        return Embedded(msg["embedding"], int(msg["prompt_eval_count"]))

    async def rank(self, query: str, document: str, truncate: bool = True) -> Embedded:
        """A reranker's scores for the pair (the relevance score first) and the tokens the pair took."""
        msg = await self._single(RankRequest(query, document, truncate))
        return Embedded(msg["embedding"], int(msg["prompt_eval_count"]))

    async def tokenize(self, text: str, *, special: bool = True, add_special: bool = False,
                       images: Sequence[ImageInput] = ()) -> list[int]:
        """Token ids of `text`; `special` parses special-token text, `add_special` adds BOS/EOS; with `images`
        (named by its `[img-N]` tags) each image token is a negative placeholder."""
        msg = await self._single(TokenizeRequest(text, special, add_special, list(images) or None))
        return [int(t) for t in msg["tokens"]]

    async def detokenize(self, tokens: Sequence[int]) -> str:
        msg = await self._single(DetokenizeRequest(list(tokens)))
        return str(msg["content"])

    async def runner_info(self) -> dict[str, Any]:
        return await self._single(InfoRequest())
