"""Continuous batching: N slots share one llama context; every step is one llama_decode.

Each step puts one token for every generating slot plus prompt chunks of newly started requests (up to
n_batch tokens in all) into one batch, decodes it, and samples only the rows that need a next token.
A request takes the free slot whose cached tokens share the longest prefix with its prompt, so only the
rest of the prompt is evaluated (among slots within PREFIX_SLACK tokens of the longest, the one that keeps
the busy sequences closest together). A full slot shifts its context (keep num_keep, drop half of the rest).
A generation that repeats one token's text (whitespace trimmed) more than REPEAT_LIMIT times in a row ends
there ("stop"), before the repeat that crossed the limit, as Ollama's runner client aborts it.

Output is sent at most every `flush_interval` seconds per request (the first text at once; everything
waiting before a step that evaluates prompt tokens, since such a step can be slow). Each reply line
wakes the server and the client, and on a busy CPU their work preempts llama.cpp's threads, which wait
for each other at every operation.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

import llama_cpp as lc
import numpy as np

from pollama.runner.draft import Drafter
from pollama.runner.llama import Model, common_prefix
from pollama.runner.mtmd import ImageChunk, Vision, is_image
from pollama.runner.protocol import Embedded, ErrorReply, Finished, piece_line
from pollama.runner.sampling import Sampler, SamplingOptions, token_logprobs
from pollama.runner.speculate import Budget, NgramIndex, SpecOptions
from pollama.runner.text import TextStream

__all__ = ["Sink", "Completion", "Embedding", "Engine"]

log = logging.getLogger("pollama.runner")
PREFIX_SLACK = 8  # cached tokens a request may give up to keep the batch's sequences together
REPEAT_LIMIT = 30  # Ollama's limit on repeats of the same (trimmed) token text in a row


class Sink(Protocol):
    """Where a request's reply lines go (a client connection)."""

    closed: bool

    def send(self, data: bytes) -> None: ...

    def finish(self) -> None: ...


@dataclass(eq=False)
class Completion:
    """A tokenized completion request, ready for a slot."""

    tokens: list[int]
    opts: SamplingOptions
    sampler: Sampler
    sink: Sink
    limit: int
    grammar: str | None = None  # applied once `trigger` appears in the output (sampler has none yet)
    trigger: str | None = None
    logprobs: bool = False
    top_logprobs: int = 0
    spec: SpecOptions = field(default_factory=SpecOptions)
    cancelled: bool = False
    images: dict[int, ImageChunk] = field(default_factory=dict)  # by placeholder id (negative, in `tokens`)


@dataclass(eq=False)
class Embedding:
    """A tokenized embedding request (or a reranker's query and document pair: its pooled output is the score)."""

    tokens: list[int]
    sink: Sink
    cancelled: bool = False


@dataclass(eq=False)
class _Slot:
    seq: int
    tokens: list[int] = field(default_factory=list)  # exactly what the KV cache holds for this sequence
    last_used: float = 0.0
    req: Completion | None = None
    pending: list[int] = field(default_factory=list)  # prompt tokens not evaluated yet
    next_token: int = -1  # sampled, to be decoded in the next step
    generated: list[int] = field(default_factory=list)
    stream: TextStream | None = None
    n_prompt_eval: int = 0
    n_cached: int = 0  # prompt tokens the request found in this slot's cache
    t_start: int = 0
    t_first: int = 0
    trig_buf: str = ""
    lp_pending: list[dict[str, Any]] = field(default_factory=list)
    out: str = ""  # text not sent yet
    t_sent: int | None = None  # when text was last sent (perf_counter_ns); None: nothing sent yet
    last_piece: bytes = b""  # the last token's text, whitespace trimmed
    repeats: int = 0  # how many tokens in a row repeated last_piece
    ngram: NgramIndex | None = None  # prompt and output, for n-gram speculation
    budget: Budget | None = None  # how many tokens to propose next
    draft: list[int] = field(default_factory=list)  # proposed tokens in the batch being decoded
    n_drafted: int = 0
    n_accepted: int = 0
    # M-RoPE images take fewer positions than tokens: (index after the image, positions it saved), in order
    gaps: list[tuple[int, int]] = field(default_factory=list)
    lag: int = 0  # tokens minus positions so far: the next position is len(tokens) - lag

    def position(self, index: int) -> int:
        """The position of the entry at `index` (not inside an image)."""
        return index - sum(saved for end, saved in self.gaps if end <= index)

    def cut(self, index: int) -> None:
        """Forget the entries from `index` on (not inside an image)."""
        del self.tokens[index:]
        self.gaps = [g for g in self.gaps if g[0] <= index]
        self.lag = sum(saved for _, saved in self.gaps)



class Engine:
    """The engine loop; `submit` is thread-safe, `run` is the loop (one dedicated thread)."""

    def __init__(self, model: Model, ctx: Any, *, n_ctx: int, parallel: int, n_batch: int,
                 embedding: bool = False, flush_interval: float = 0.0, vision: Vision | None = None,
                 drafter: Drafter | None = None) -> None:
        self.model = model
        self.drafter = drafter
        self.ctx = ctx
        self.n_ctx = n_ctx
        self.n_batch = n_batch
        self.embedding = embedding
        self.slots = [_Slot(i) for i in range(parallel)]
        self._queue: deque[Completion | Embedding] = deque()
        self._cv = threading.Condition()
        self._mem = lc.llama_get_memory(ctx)
        self._can_shift = bool(self._mem) and bool(lc.llama_memory_can_shift(self._mem))
        self._batch = lc.llama_batch_init(n_batch, 0, 1)
        for i in range(n_batch):
            self._batch.n_seq_id[i] = 1
        self._order: list[_Slot] = []  # busy slots in admission order
        self._flush_ns = int(flush_interval * 1e9)
        self._now = 0  # perf_counter_ns after the last decode
        self._stopped = False
        self.vision = vision
        self._embd: Any = None  # a batch of embeddings, for images (M-RoPE: 4 positions per row)
        if vision is not None:
            self._embd = lc.llama_batch_init(n_batch * (4 if vision.mrope else 1), vision.n_embd, 1)
            for i in range(n_batch):
                self._embd.n_seq_id[i] = 1

    # ---- public -----------------------------------------------------------------------------------
    def submit(self, req: Completion | Embedding) -> None:
        with self._cv:
            self._queue.append(req)
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()

    def start(self) -> threading.Thread:
        """Run the engine on its own thread; returns it once it has warmed the model up.

        Every llama_decode must come from that one thread: with OpenMP, each calling thread gets its
        own pool of workers, and once a process has more of them than CPUs they stop spinning between
        steps. A warm-up on the main thread made every later decode 13% slower.
        """
        warm = threading.Event()

        def main() -> None:
            try:
                if not self.embedding:
                    self.warmup()
            finally:
                warm.set()
            self.run()

        thread = threading.Thread(target=main, name="engine", daemon=True)
        thread.start()
        warm.wait()
        return thread

    def warmup(self) -> None:
        """One throw-away decode so the first request does not pay for lazy initialisation."""
        b = self._batch
        tok = lc.llama_vocab_bos(self.model.vocab)
        b.token[0] = tok if 0 <= tok < self.model.n_vocab else 0
        b.pos[0] = 0
        b.seq_id[0][0] = 0
        b.logits[0] = 1
        b.n_tokens = 1
        lc.llama_set_warmup(self.ctx, True)
        lc.llama_decode(self.ctx, b)
        lc.llama_set_warmup(self.ctx, False)
        if self._mem:
            lc.llama_memory_clear(self._mem, True)
        lc.llama_synchronize(self.ctx)

    def slot_info(self) -> list[dict[str, Any]]:
        return [{"id": s.seq, "busy": s.req is not None, "n_cached": len(s.tokens)} for s in self.slots]

    def run(self) -> None:
        step = self._embed_step if self.embedding else self._step
        while not self._stopped:
            try:
                step()
            except Exception:  # keep serving; fail whatever was in flight
                log.exception("engine step failed")
                for s in list(self._order):
                    self._fail(s, "internal error in the model runner")

    # ---- completion -------------------------------------------------------------------------------
    def _admit(self) -> None:
        with self._cv:
            while not self._queue and not self._order and not self._stopped:
                self._cv.wait()
            free = len(self.slots) - len(self._order)
            incoming: list[Completion] = []
            while self._queue and len(incoming) < free:
                req = self._queue.popleft()
                if req.cancelled or req.sink.closed:
                    self._drop(req)
                    continue
                assert isinstance(req, Completion)
                incoming.append(req)
        for req in incoming:
            self._start(req)

    def _drop(self, req: Completion | Embedding) -> None:
        if isinstance(req, Completion):
            req.sampler.close()
        req.sink.finish()

    def _start(self, req: Completion) -> None:
        prompt = req.tokens
        prefix = {s.seq: common_prefix(s.tokens, prompt) for s in self.slots if s.req is None}
        best_len = max(prefix.values())
        busy = [s.seq for s in self._order]

        def span(seq: int) -> int:
            return max(busy + [seq]) - min(busy + [seq])

        # the longest cached prefix, give or take PREFIX_SLACK tokens; among those, the slot that keeps the
        # busy sequences closest together (llama.cpp attends over every KV stream from the lowest busy
        # sequence to the highest: 4 streams spread over 8 slots decoded 20% slower than 4 adjacent ones)
        s = min((s for s in self.slots if s.seq in prefix and prefix[s.seq] >= best_len - PREFIX_SLACK),
                key=lambda s: (span(s.seq), -prefix[s.seq], s.last_used))
        best_len = prefix[s.seq]
        common = min(best_len, len(prompt) - 1)
        while common > 0 and is_image(prompt[common]) and prompt[common - 1] == prompt[common]:
            common -= 1  # never start inside an image: its embeddings go in whole
        if common < len(s.tokens):
            if not lc.llama_memory_seq_rm(self._mem, s.seq, s.position(common), -1):
                lc.llama_memory_seq_rm(self._mem, s.seq, -1, -1)
                common = 0
            s.cut(common)
        s.req = req
        s.pending = prompt[common:]
        s.next_token = -1
        s.generated = []
        s.stream = TextStream(req.opts.stop)
        s.n_prompt_eval = 0
        s.n_cached = common
        s.t_start = time.perf_counter_ns()
        s.t_first = 0
        s.trig_buf = ""
        s.lp_pending = []
        s.out = ""
        s.t_sent = None
        s.last_piece = b""
        s.repeats = 0
        mode = "off" if req.images and req.spec.mode == "draft" else req.spec.mode  # the draft sees no images
        s.ngram = NgramIndex(prompt) if mode == "ngram" else None
        s.budget = Budget(req.spec.draft_max) if mode != "off" else None
        s.draft = []
        s.n_drafted = s.n_accepted = 0
        self._order.append(s)

    def _release(self, s: _Slot) -> None:
        req = s.req
        if req is not None:
            req.sampler.close()
            req.sink.finish()
        s.req = None
        s.pending = []
        s.next_token = -1
        s.stream = None
        s.ngram = s.budget = None
        s.draft = []
        s.last_used = time.monotonic()
        if s in self._order:
            self._order.remove(s)

    def _fail(self, s: _Slot, msg: str) -> None:
        if s.req is not None and not s.req.sink.closed:
            s.req.sink.send(ErrorReply(msg).encode())
        if self._mem:
            lc.llama_memory_seq_rm(self._mem, s.seq, -1, -1)
        s.cut(0)
        self._release(s)

    def _shift(self, s: _Slot) -> bool:
        """Make room for one more token: keep num_keep, discard half of the rest (Ollama's shift)."""
        if not self._can_shift or s.lag:  # (an M-RoPE image's positions cannot move)
            return False
        assert s.req is not None
        n = len(s.tokens)
        keep = s.req.opts.num_keep
        if keep < 0 or keep > len(s.req.tokens):
            keep = len(s.req.tokens)
        keep = max(0, min(keep, self.n_ctx - 2))
        discard = max((n - keep) // 2, 1)
        lc.llama_memory_seq_rm(self._mem, s.seq, keep, keep + discard)
        lc.llama_memory_seq_add(self._mem, s.seq, keep + discard, n, -discard)
        del s.tokens[keep:keep + discard]
        return True

    def _step(self) -> None:
        self._admit()
        for s in list(self._order):
            req = s.req
            if req is not None and (req.cancelled or req.sink.closed):
                self._release(s)
        if not self._order:
            return
        if self.vision is not None:
            self._feed_image()
            if not self._order:
                return
        plan, prefill = self._plan()
        if prefill:
            for s in self._order:  # a step with prompt tokens can take seconds: send what is waiting
                if s.out:
                    self._send(s)
        n, rows, involved = self._fill_batch(plan)
        if n == 0:
            return
        rc = lc.llama_decode(self.ctx, self._batch)
        if rc != 0:
            log.error("llama_decode failed with status %d", rc)
            for s in involved:
                self._fail(s, f"llama_decode failed with status {rc}")
            return
        now = self._now = time.perf_counter_ns()
        ctx = self.ctx
        sample = lc.llama_sampler_sample
        for s, i in rows:
            req = s.req
            if req is None:
                continue
            if not s.t_first:
                s.t_first = now
            if s.draft:
                self._verify(s, req, i)
                continue
            tok = sample(req.sampler.ptr, ctx, i)
            self._on_token(s, req, tok, i)

    def _verify(self, s: _Slot, req: Completion, row: int) -> None:
        """Sample the rows of a speculating slot in order while each sample equals the next proposal (see
        runner/speculate.py); then drop the rejected proposals from the cache."""
        draft, s.draft = s.draft, []
        kept = 0
        for j in range(len(draft) + 1):
            tok = lc.llama_sampler_sample(req.sampler.ptr, self.ctx, row + j)
            self._on_token(s, req, tok, row + j)
            if j == len(draft) or tok != draft[j]:
                break
            kept += 1
            if s.req is not req:  # finished on a proposal the target agreed with
                break
        rejected = len(draft) - kept
        if rejected:
            end = len(s.tokens) - rejected
            lc.llama_memory_seq_rm(self._mem, s.seq, s.position(end), -1)
            s.cut(end)
        s.n_drafted += len(draft)
        s.n_accepted += kept
        if s.budget is not None:
            s.budget.record(len(draft), kept)

    def _plan(self) -> tuple[list[tuple[_Slot, list[int], int]], bool]:
        """What each slot adds this step: its sampled token (and the tokens it proposes after it), or (budget
        allowing) a chunk of its prompt, as (slot, tokens, how many of the last ones want logits) in
        sequence order; and whether any prompt is in it."""
        plan: list[tuple[_Slot, list[int], int]] = []
        for s in list(self._order):
            tok = s.next_token
            if tok < 0:
                continue
            if len(s.tokens) >= self.n_ctx and not self._shift(s):
                self._finish(s, "length")
                continue
            s.next_token = -1
            plan.append((s, [tok], 1))
        budget = self.n_batch - len(plan)
        for i, (s, toks, _) in enumerate(plan):
            if s.budget is not None and budget > 0:
                s.draft = self._propose(s, toks[0], budget)
                budget -= len(s.draft)
                plan[i] = (s, toks + s.draft, 1 + len(s.draft))
        prefill = False
        for s in self._order:  # prompts in order of arrival
            if budget <= 0:
                break
            if not s.pending:
                continue
            if is_image(s.pending[0]):
                continue  # _feed_image's
            n = budget
            if s.req is not None and s.req.images:  # text up to the next image
                n = next((i for i, t in enumerate(s.pending[:budget]) if is_image(t)), budget)
            chunk = s.pending[:n]
            del s.pending[:len(chunk)]
            s.n_prompt_eval += len(chunk)
            budget -= len(chunk)
            plan.append((s, chunk, 0 if s.pending else 1))
            prefill = True
        # rows in sequence order: llama.cpp decodes a batch whose sequences are out of order (one KV
        # stream per sequence) markedly slower
        plan.sort(key=lambda item: item[0].seq)
        return plan, prefill

    def _propose(self, s: _Slot, tok: int, budget: int) -> list[int]:
        """The tokens a speculating slot proposes after its next one (within the batch, the context and the
        request's token limit)."""
        req, spec_budget = s.req, s.budget
        assert req is not None and spec_budget is not None
        k = min(spec_budget.allowed(), budget, self.n_ctx - len(s.tokens) - 1, req.limit - len(s.generated) - 1)
        if k <= 0:
            return []
        if s.ngram is not None:
            draft = s.ngram.propose(k)  # (a lookup costs nothing: no match is no miss)
        else:
            assert self.drafter is not None
            draft = self.drafter.propose(s.seq, s.tokens + [tok], k, req.spec.draft_p_min)
            if not draft:  # the draft was unsure (draft_p_min): its steps were paid for, so back off
                spec_budget.record(k, 0)
        return draft if len(draft) >= max(req.spec.draft_min, 1) else []

    def _fill_batch(self, plan: list[tuple[_Slot, list[int], int]]
                    ) -> tuple[int, list[tuple[_Slot, int]], list[_Slot]]:
        """Write the plan into the batch: (rows written, (slot, first row) of the rows to sample, slots in it)."""
        b = self._batch
        b_tok, b_pos, b_seq, b_log = b.token, b.pos, b.seq_id, b.logits
        n = 0
        rows: list[tuple[_Slot, int]] = []
        involved: list[_Slot] = []
        for s, toks, n_out in plan:
            base = len(s.tokens) - s.lag
            seq = s.seq
            for j, tok in enumerate(toks):
                b_tok[n] = tok
                b_pos[n] = base + j
                b_seq[n][0] = seq
                b_log[n] = 0
                n += 1
            s.tokens.extend(toks)
            involved.append(s)
            if n_out:
                for r in range(n - n_out, n):
                    b_log[r] = 1
                rows.append((s, n - n_out))
        b.n_tokens = n
        return n, rows, involved

    def _feed_image(self) -> None:
        """Decode the next piece of the first image a slot has reached (encoding the image first), in a batch
        of embeddings of its own: the other sequences wait for one encode and one piece, not a whole prompt."""
        s = next((s for s in self._order if s.pending and is_image(s.pending[0])), None)
        if s is None:
            return
        req, vision = s.req, self.vision
        assert req is not None and vision is not None
        for other in self._order:  # an encode can take seconds: send what is waiting
            if other.out:
                self._send(other)
        image = req.images[s.pending[0]]
        left = next((i for i, t in enumerate(s.pending) if t != image.key), len(s.pending))
        non_causal = vision.non_causal(image)
        rows = left if non_causal else min(left, self.n_batch)
        if rows > self.n_batch:
            self._fail(s, f"the image needs {rows} tokens in one batch; num_batch is {self.n_batch}")
            return
        try:
            self._image_batch(s, image, image.n_tokens - left, rows)
        except RuntimeError as e:
            self._fail(s, str(e))
            return
        if non_causal:
            lc.llama_set_causal_attn(self.ctx, False)
        rc = lc.llama_decode(self.ctx, self._embd)
        if non_causal:
            lc.llama_set_causal_attn(self.ctx, True)
        if rc != 0:
            self._fail(s, f"llama_decode failed with status {rc}")
            return
        self._now = time.perf_counter_ns()
        s.tokens.extend(s.pending[:rows])
        del s.pending[:rows]
        s.n_prompt_eval += rows
        if rows == left and image.n_pos < image.n_tokens:
            s.gaps.append((len(s.tokens), image.n_tokens - image.n_pos))
            s.lag += image.n_tokens - image.n_pos
        if not s.pending:  # the prompt ends with this image: sample from its last row
            s.t_first = self._now
            self._on_token(s, req, lc.llama_sampler_sample(req.sampler.ptr, self.ctx, rows - 1), rows - 1)

    def _image_batch(self, s: _Slot, image: ImageChunk, done: int, rows: int) -> None:
        """Write rows done..done+rows of the image's embeddings (encoded now if they are not yet) and their
        positions into the embeddings batch, for slot `s`."""
        vision, b = self.vision, self._embd
        assert vision is not None and b is not None
        embd = vision.encode(image)
        width = vision.n_embd
        ctypes.memmove(b.embd, embd[done * width:(done + rows) * width].ctypes.data, rows * width * 4)
        vision.positions(image, len(s.tokens) - done - s.lag, done, rows, b.pos)
        for j in range(rows):
            b.seq_id[j][0] = s.seq
            b.logits[j] = 0
        b.logits[rows - 1] = int(rows == len(s.pending))
        b.n_tokens = rows

    def _on_token(self, s: _Slot, req: Completion, tok: int, row: int) -> None:
        model = self.model
        piece = model.piece(tok)
        if model.is_eog(tok) or self._repeating(s, piece):
            self._finish(s, "stop")
            return
        s.generated.append(tok)
        if s.ngram is not None:
            s.ngram.extend([tok])
        if req.logprobs:
            s.lp_pending.append(token_logprobs(lc.llama_get_logits_ith(self.ctx, row), model.n_vocab, tok,
                                               req.top_logprobs, model.piece))
        assert s.stream is not None
        text, stopped = s.stream.push(piece)
        if req.trigger is not None:
            self._check_trigger(s, req, piece)
        if text:
            s.out += text
        if stopped:
            self._finish(s, "stop", flush=False)
        elif len(s.generated) >= req.limit:
            self._finish(s, "length")
        else:
            s.next_token = tok
            if s.out and (s.t_sent is None or self._now - s.t_sent >= self._flush_ns):
                self._send(s)

    @staticmethod
    def _repeating(s: _Slot, piece: bytes) -> bool:
        """Count `piece` against the repeat limit; True once the generation is looping on it."""
        text = piece.strip()
        if text != s.last_piece:
            s.last_piece = text
            s.repeats = 0
            return False
        s.repeats += 1
        return s.repeats > REPEAT_LIMIT

    def _send(self, s: _Slot) -> None:
        """Send the slot's waiting text (with the logprobs of the tokens it came from)."""
        assert s.req is not None
        s.req.sink.send(piece_line(s.out, s.lp_pending, len(s.generated), s.n_prompt_eval))
        s.lp_pending = []
        s.out = ""
        s.t_sent = self._now

    def _check_trigger(self, s: _Slot, req: Completion, piece: bytes) -> None:
        trigger = req.trigger
        assert trigger is not None
        s.trig_buf = (s.trig_buf + piece.decode("utf-8", "replace"))[-(len(trigger) + 64):]
        if trigger not in s.trig_buf:
            return
        req.trigger = None
        old = req.sampler
        req.sampler = Sampler(self.model.vocab, self.model.n_vocab, req.opts, self.n_ctx, req.grammar)
        req.sampler.accept_history(req.tokens + s.generated)
        old.close()

    def _finish(self, s: _Slot, reason: str, *, flush: bool = True) -> None:
        req = s.req
        assert req is not None and s.stream is not None
        if flush:
            s.out += s.stream.flush()
        if s.out or (flush and s.lp_pending):
            self._send(s)
        now = time.perf_counter_ns()
        first = s.t_first or now
        done = Finished(done_reason=reason, prompt_eval_count=s.n_prompt_eval, prompt_cached_count=s.n_cached,
                        prompt_eval_duration=first - s.t_start, eval_count=len(s.generated),
                        eval_duration=now - first,
                        context=([t for t in req.tokens if not is_image(t)] if req.images else req.tokens)
                        + s.generated,
                        stop_sequence=s.stream.matched, draft_tokens=s.n_drafted,
                        draft_accepted_tokens=s.n_accepted)
        req.sink.send(done.encode())
        self._release(s)

    # ---- embeddings -------------------------------------------------------------------------------
    def _embed_step(self) -> None:
        with self._cv:
            while not self._queue and not self._stopped:
                self._cv.wait()
            todo: list[Embedding] = []
            total = 0
            while self._queue and len(todo) < len(self.slots):
                req = self._queue[0]
                if req.cancelled or req.sink.closed:
                    self._queue.popleft()
                    self._drop(req)
                    continue
                if todo and total + len(req.tokens) > self.n_batch:
                    break
                self._queue.popleft()
                assert isinstance(req, Embedding)
                todo.append(req)
                total += len(req.tokens)
        if not todo:
            return
        b = self._batch
        n = 0
        last: list[int] = []
        for seq, req in enumerate(todo):
            for pos, tok in enumerate(req.tokens):
                b.token[n] = tok
                b.pos[n] = pos
                b.seq_id[n][0] = seq
                b.logits[n] = 1
                n += 1
            last.append(n - 1)
        b.n_tokens = n
        rc = lc.llama_decode(self.ctx, b)
        n_out = self.model.n_pooled
        for seq, req in enumerate(todo):
            if rc != 0:
                req.sink.send(ErrorReply(f"llama_decode failed with status {rc}").encode())
            else:
                ptr = lc.llama_get_embeddings_seq(self.ctx, seq)
                if not ptr:
                    ptr = lc.llama_get_embeddings_ith(self.ctx, last[seq])
                vec = np.ctypeslib.as_array(ptr, shape=(n_out,)).tolist()
                req.sink.send(Embedded(vec, len(req.tokens)).encode())
            req.sink.finish()
        if self._mem:
            for seq in range(len(todo)):
                lc.llama_memory_seq_rm(self._mem, seq, -1, -1)
