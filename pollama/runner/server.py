"""The runner's side of its socket protocol (pollama.runner.protocol): one thread per connection reads
the request line, answers it directly or hands it to the engine.

The engine thread writes replies straight to the socket (non-blocking); only if the client falls behind
does the connection's own thread flush the rest, so a slow reader never stalls the other slots.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
from typing import Any

from pollama.runner.engine import Completion, Embedding, Engine
from pollama.runner.llama import Model
from pollama.runner.mtmd import MediaPrompt
from pollama.runner.protocol import (
    CompletionRequest,
    DetokenizeRequest,
    EmbedRequest,
    ErrorReply,
    ImageInput,
    Info,
    InfoRequest,
    RankRequest,
    Request,
    RequestError,
    Text,
    TokenizeRequest,
    Tokens,
    decode_request,
)
from pollama.runner.rank import fit_pair
from pollama.runner.sampling import OptionsError, Sampler, parse_options
from pollama.runner.speculate import parse_spec_options

__all__ = ["SocketSink", "RunnerServer", "MAX_REQUEST"]

log = logging.getLogger("pollama.runner")
MAX_REQUEST = 256 << 20
CONTEXT_ERROR = "the input length exceeds the context length"  # Ollama's words


class SocketSink:
    """A connection's outgoing side, written from the engine thread."""

    __slots__ = ("sock", "closed", "finished", "_lock", "_outbox", "_wake_r", "_wake_w")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False
        self.finished = False
        self._lock = threading.Lock()
        self._outbox = bytearray()
        self._wake_r, self._wake_w = os.pipe()

    def send(self, data: bytes) -> None:
        with self._lock:
            if self.closed:
                return
            if self._outbox:
                self._outbox += data
                return
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.closed = True
                self._wake()
                return
            if sent < len(data):
                self._outbox += data[sent:]
                self._wake()

    def finish(self) -> None:
        with self._lock:
            self.finished = True
            if not self.closed:
                self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def pump(self, on_client_gone: Any) -> None:
        """Run on the connection's thread until the reply is complete or the client has gone."""
        poller = select.poll()
        fd = self.sock.fileno()
        poller.register(self._wake_r, select.POLLIN)
        try:
            while True:
                with self._lock:
                    pending = bool(self._outbox)
                    if self.closed or (self.finished and not pending):
                        break
                poller.register(fd, select.POLLIN | (select.POLLOUT if pending else 0))
                for f, ev in poller.poll():
                    if f == self._wake_r:
                        os.read(self._wake_r, 4096)
                        continue
                    if ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                        try:
                            data = self.sock.recv(4096)
                        except (BlockingIOError, InterruptedError):
                            data = b"?"
                        except OSError:
                            data = b""
                        if not data:
                            with self._lock:
                                self.closed = True
                            on_client_gone()
                            break
                    if ev & select.POLLOUT:
                        with self._lock:
                            try:
                                sent = self.sock.send(self._outbox)
                                del self._outbox[:sent]
                            except (BlockingIOError, InterruptedError):
                                pass
                            except OSError:
                                self.closed = True
        finally:
            with self._lock:
                self.closed = True
                os.close(self._wake_r)
                os.close(self._wake_w)


class RunnerServer:
    """Accepts connections and turns each request line into engine work or a direct answer."""

    def __init__(self, model: Model, engine: Engine, *, n_ctx: int, parallel: int, embedding: bool,
                 info: dict[str, Any]) -> None:
        self.model = model
        self.engine = engine
        self.n_ctx = n_ctx
        self.parallel = parallel
        self.embedding = embedding
        self.info = info

    def serve_forever(self, listener: socket.socket) -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    # ---- one connection ---------------------------------------------------------------------------
    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            line = self._read_line(conn)
            if line is None:
                return
            try:
                self._dispatch(conn, decode_request(line))
            except (RequestError, OptionsError) as e:
                conn.sendall(ErrorReply(str(e), 400).encode())
        except Exception as e:  # never let one connection take the runner down
            log.exception("request failed")
            try:
                conn.sendall(ErrorReply(f"runner error: {e}").encode())
            except OSError:
                pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _read_line(conn: socket.socket) -> bytes | None:
        buf = bytearray()
        while True:
            chunk = conn.recv(1 << 16)
            if not chunk:
                return bytes(buf) if buf.strip() else None
            nl = chunk.find(b"\n")
            if nl >= 0:
                buf += chunk[:nl]
                return bytes(buf)
            buf += chunk
            if len(buf) > MAX_REQUEST:
                raise RequestError("request too large")

    def _dispatch(self, conn: socket.socket, req: Request) -> None:
        match req:
            case CompletionRequest():
                self._completion(conn, req)
            case EmbedRequest():
                self._embed(conn, req)
            case RankRequest():
                self._rank(conn, req)
            case TokenizeRequest():
                conn.sendall(Tokens(self._tokenize(req)).encode())
            case DetokenizeRequest():
                self._check_tokens(req.tokens)
                conn.sendall(Text(self.model.detokenize(req.tokens)).encode())
            case InfoRequest():
                conn.sendall(Info({**self.info, "slots": self.engine.slot_info()}).encode())

    def _check_tokens(self, tokens: list[int]) -> None:
        if not self.model.valid_tokens(tokens):
            raise RequestError("tokens must be a list of token ids")

    def _media(self, text: str, images: list[ImageInput], add_special: bool) -> MediaPrompt:
        """Text with `[img-N]` tags and its images, tokenized by the projector."""
        if self.engine.vision is None:
            raise RequestError("this model does not support images")
        return self.engine.vision.tokenize(text, images, add_special)

    def _tokenize(self, req: TokenizeRequest) -> list[int]:
        if req.images:
            return self._media(req.content, req.images, req.add_special).tokens
        return self.model.tokenize(req.content, add_special=req.add_special, parse_special=req.special)

    def _prompt(self, req: CompletionRequest) -> MediaPrompt:
        if req.tokens is not None:
            self._check_tokens(req.tokens)
            return MediaPrompt(list(req.tokens))
        assert req.prompt is not None
        if req.images:
            return self._media(req.prompt, req.images, req.add_special)
        return MediaPrompt(self.model.tokenize(req.prompt, add_special=req.add_special, parse_special=True))

    def _completion(self, conn: socket.socket, req: CompletionRequest) -> None:
        if self.embedding:
            raise RequestError("this runner serves embeddings only")
        opts = parse_options(req.options)
        try:
            spec = parse_spec_options(req.options, has_draft=self.engine.drafter is not None)
        except ValueError as e:
            raise RequestError(str(e)) from None
        prompt = self._prompt(req)
        tokens = prompt.tokens
        if not tokens:
            raise RequestError("prompt is empty")
        if len(tokens) > self.n_ctx:
            if not req.truncate or prompt.images:  # cutting would split an image
                raise RequestError(CONTEXT_ERROR)
            keep = opts.num_keep if 0 <= opts.num_keep <= len(tokens) else len(tokens)
            keep = min(keep, self.n_ctx - 1)
            tokens = tokens[:keep] + tokens[len(tokens) - (self.n_ctx - keep):]
        grammar, trigger = req.grammar, req.grammar_trigger
        vocab, n_vocab = self.model.vocab, self.model.n_vocab
        if trigger is not None:
            Sampler(vocab, n_vocab, opts, self.n_ctx, grammar).close()  # reject a bad grammar now
        sampler = Sampler(vocab, n_vocab, opts, self.n_ctx, None if trigger else grammar)
        sampler.accept_history(tokens)
        limit = 10 * self.n_ctx  # Ollama's bound on num_predict, so that no request runs on forever
        if 0 < opts.num_predict < limit:
            limit = opts.num_predict
        conn.setblocking(False)
        sink = SocketSink(conn)
        work = Completion(tokens=tokens, opts=opts, sampler=sampler, sink=sink, limit=limit,
                          grammar=grammar if trigger else None, trigger=trigger,
                          logprobs=req.logprobs, top_logprobs=req.top_logprobs, images=prompt.images,
                          spec=spec)
        self.engine.submit(work)
        sink.pump(lambda: setattr(work, "cancelled", True))

    def _embed(self, conn: socket.socket, req: EmbedRequest) -> None:
        if not self.embedding:
            raise RequestError("this runner was not started for embeddings")
        if self.model.ranks:
            raise RequestError("this model is a reranker: it scores documents and has no embeddings")
        tokens = self.model.tokenize(req.content, add_special=True, parse_special=True)
        if not tokens:
            raise RequestError("Input content cannot be empty")  # llama.cpp's server (and so Ollama)
        if len(tokens) > self.n_ctx:
            if not req.truncate:
                raise RequestError(CONTEXT_ERROR)
            tokens = tokens[: self.n_ctx]
        self._pool(conn, tokens)

    def _rank(self, conn: socket.socket, req: RankRequest) -> None:
        if not self.embedding or not self.model.ranks:
            raise RequestError("this runner does not rank documents")
        self._pool(conn, fit_pair(self.model, req.query, req.document, self.n_ctx, req.truncate, CONTEXT_ERROR))

    def _pool(self, conn: socket.socket, tokens: list[int]) -> None:
        """Evaluate `tokens` as one sequence and reply with what the context pools from it (`Embedded`)."""
        conn.setblocking(False)
        sink = SocketSink(conn)
        work = Embedding(tokens=tokens, sink=sink)
        self.engine.submit(work)
        sink.pump(lambda: setattr(work, "cancelled", True))
