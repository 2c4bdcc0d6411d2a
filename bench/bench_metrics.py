"""What metrics and the request log cost: the same server build started twice, as shipped (Prometheus
metrics, the request log line and X-Request-Id; its log written to a file) and with POLLAMA_METRICS=0 (none
of them), on SmolLM2-135M Q4_1.

    python3 bench/bench_metrics.py [--threads 2] [--tokens 256] [--repeat 7] [--requests 300]

decode:   single-stream decode rate of a streamed /api/generate (bench_engine's HTTP client, tokens/s
          between the first and the last token). Runs on the two servers alternate (on-off, off-on, ...),
          so both see the same noise of a shared machine, and a drifting load favours neither; the table shows medians and their on/off ratio, then the median of
          the ratios of back-to-back runs (which cancels slow drifts in the machine's load).
request:  the latency of GET /api/version, a request with no work of its own, so that the per-request cost
          of the middleware and the log line is all that differs (median over --requests, alternating).
tracker:  the same cost in process, without HTTP: an ASGI app that answers at once, called with and without
          the request tracker (its line written to a log file), best of 5 interleaved rounds; shown also as
          a share of one generation of --tokens tokens at the best decode rate measured (an upper bound).
Both servers keep the counters the inference core and the scheduler increment once per generation (a few
microseconds a request): POLLAMA_METRICS=0 removes the request middleware, the log line and /metrics.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from starlette.types import Message, Receive, Scope, Send

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import Http, smollm2, steady_rate  # noqa: E402

from pollama.logs import TextFormatter  # noqa: E402
from pollama.metrics import Metrics  # noqa: E402
from pollama.server.reqlog import RequestTracker  # noqa: E402

SIDES = ("on", "off")


def version_latency(client: httpx.Client) -> float:
    t0 = time.perf_counter()
    client.get("/api/version").raise_for_status()
    return time.perf_counter() - t0


def tracker_cost(n: int, log_file: Path) -> float:
    """Seconds the request tracker adds to one request (metrics, record, X-Request-Id, the log line)."""
    handler = logging.FileHandler(log_file)
    handler.setFormatter(TextFormatter())
    logger = logging.getLogger("pollama.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        pass

    async def rounds() -> dict[str, float]:
        best = {"on": float("inf"), "off": float("inf")}
        for _ in range(5):
            for side, target in (("on", RequestTracker(app, Metrics())), ("off", app)):
                t0 = time.perf_counter()
                for _ in range(n):
                    scope = {"type": "http", "method": "POST", "path": "/api/chat", "headers": [],
                             "client": ("127.0.0.1", 5000)}
                    await target(scope, receive, send)
                best[side] = min(best[side], time.perf_counter() - t0)
        return best

    best = asyncio.run(rounds())
    logger.removeHandler(handler)
    handler.close()
    return (best["on"] - best["off"]) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    path = smollm2()
    decode: dict[str, list[float]] = {s: [] for s in SIDES}
    latency: dict[str, list[float]] = {s: [] for s in SIDES}
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp:
        for s in SIDES:
            (Path(tmp) / s).mkdir()
        servers = {"on": Http(path, args.threads, Path(tmp) / "on"),
                   "off": Http(path, args.threads, Path(tmp) / "off", {"POLLAMA_METRICS": "0"})}
        try:
            for side in servers.values():  # warm up: load the runner, touch the weights
                side.run(1, 8)
            for i in range(args.repeat):  # on-off, off-on, ...: a load that drifts favours neither
                for s in SIDES if i % 2 == 0 else SIDES[::-1]:
                    _, arrivals = servers[s].run(1, args.tokens)
                    decode[s].append(steady_rate(arrivals))
            clients = {s: servers[s].server.client() for s in SIDES}
            for _ in range(args.requests):
                for s in SIDES:
                    latency[s].append(version_latency(clients[s]))
            for c in clients.values():
                c.close()
            logged = servers["on"].server.logs().count("msg=request")
        finally:
            for side in servers.values():
                side.close()

    on, off = statistics.median(decode["on"]), statistics.median(decode["off"])
    spread = {s: (min(decode[s]), max(decode[s])) for s in SIDES}
    print(f"SmolLM2-135M Q4_1, {args.threads} threads, {args.tokens} tokens, median of {args.repeat} "
          "(min-max in brackets)")
    print(f"{'':34} {'metrics on':>20} {'POLLAMA_METRICS=0':>20} {'on/off':>8}")
    print(f"{'decode, 1 stream (tok/s)':34} {on:8.1f} [{spread['on'][0]:.0f}-{spread['on'][1]:.0f}]"
          f"{'':>3} {off:8.1f} [{spread['off'][0]:.0f}-{spread['off'][1]:.0f}]{'':>3} {on / off:8.4f}")
    lat_on, lat_off = (statistics.median(latency[s]) * 1e6 for s in SIDES)
    print(f"{'GET /api/version latency (us)':34} {lat_on:20.0f} {lat_off:20.0f} {lat_on / lat_off:8.3f}")
    print(f"per-request cost of the middleware and the log line: {lat_on - lat_off:.0f} us "
          f"({logged} request lines written by the 'on' server)")
    paired = [a / b for a, b in zip(decode["on"], decode["off"], strict=True)]  # runs back to back
    print(f"paired on/off per repeat: median {statistics.median(paired):.4f} "
          f"[{min(paired):.4f}-{max(paired):.4f}]")
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp:
        cost = tracker_cost(20_000, Path(tmp) / "requests.log")
    generation = args.tokens / max(spread["off"][1], spread["on"][1])
    print(f"tracker in process: {cost * 1e6:.1f} us per request = {cost / generation * 100:.4f}% of one "
          f"{args.tokens}-token generation at {args.tokens / generation:.1f} tok/s")
    print(f"goal: decode within noise, under 1%: {abs(1 - on / off) * 100:.2f}% "
          f"(run-to-run spread of the 'off' server: {(spread['off'][1] / spread['off'][0] - 1) * 100:.1f}%)")


if __name__ == "__main__":
    main()
