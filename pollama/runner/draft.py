"""The draft model of draft-model speculation: a small model with the target's vocabulary, loaded beside
it in the runner, with its own context holding one KV sequence per slot of the target.

`propose(seq, history, k, p_min)` brings the draft's sequence up to `history` (the tokens the target's
sequence holds plus its next token: whatever the draft already holds of it is kept, the rest is
evaluated), then drafts greedily: at most k tokens, stopping early when the draft's top token is less
likely than p_min (llama-server's rule). Greedy drafting keeps the proposal deterministic, which the
verification rule in runner/speculate.py needs. Rejected tokens stay in the draft's cache until the next
call finds they no longer match and removes them.
"""

from __future__ import annotations

import math

import llama_cpp as lc
import numpy as np

from pollama.runner.llama import ContextConfig, LoadError, Model, common_prefix, make_context

__all__ = ["Drafter"]


class Drafter:
    """A draft model and its context (same context length and sequences as the target)."""

    def __init__(self, model: Model, *, n_ctx: int, parallel: int, n_batch: int, threads: int) -> None:
        self.model = model
        self.ctx = make_context(model, ContextConfig(n_ctx, parallel, n_batch, threads))
        self.n_batch = n_batch
        self._mem = lc.llama_get_memory(self.ctx)
        if not self._mem:
            raise LoadError("the draft model's context has no KV cache")
        self._batch = lc.llama_batch_init(n_batch, 0, 1)
        for i in range(n_batch):
            self._batch.n_seq_id[i] = 1
        self.tokens: list[list[int]] = [[] for _ in range(parallel)]  # what each draft sequence holds

    def close(self) -> None:
        lc.llama_batch_free(self._batch)
        lc.llama_free(self.ctx)

    def propose(self, seq: int, history: list[int], k: int, p_min: float) -> list[int]:
        held = self.tokens[seq]
        keep = min(common_prefix(held, history), len(history) - 1)  # the last token is evaluated again
        if keep < len(held):
            if not lc.llama_memory_seq_rm(self._mem, seq, keep, -1):
                lc.llama_memory_seq_rm(self._mem, seq, -1, -1)
                keep = 0
            del held[keep:]
        if not self._feed(seq, history[keep:]):
            return []
        out: list[int] = []
        log_p_min = math.log(p_min) if p_min > 0 else -math.inf
        n_vocab = self.model.n_vocab
        while True:
            row = np.ctypeslib.as_array(lc.llama_get_logits_ith(self.ctx, -1), shape=(n_vocab,))
            tok = int(row.argmax())
            top = float(row[tok])
            log_p = -math.log(float(np.exp(row - top).sum()))  # the top token's log probability
            if log_p < log_p_min or self.model.is_eog(tok):
                break
            out.append(tok)
            if len(out) >= k or not self._feed(seq, [tok]):
                break
        return out

    def _feed(self, seq: int, tokens: list[int]) -> bool:
        """Evaluate `tokens` after what the sequence holds, in chunks; logits for the last one only."""
        held, b = self.tokens[seq], self._batch
        for start in range(0, len(tokens), self.n_batch):
            chunk = tokens[start:start + self.n_batch]
            base = len(held)
            for j, tok in enumerate(chunk):
                b.token[j] = tok
                b.pos[j] = base + j
                b.seq_id[j][0] = seq
                b.logits[j] = 0
            b.logits[len(chunk) - 1] = 1
            b.n_tokens = len(chunk)
            if lc.llama_decode(self.ctx, b) != 0:
                lc.llama_memory_seq_rm(self._mem, seq, -1, -1)
                held.clear()
                return False
            held.extend(chunk)
        return True
