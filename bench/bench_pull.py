"""Pull throughput from a loopback docker-registry vs. a plain httpx download of the same blob.

    python3 bench/bench_pull.py [--size-mb 200] [--repeat 3]

Starts `docker-registry` on 127.0.0.1 with storage in a temp folder, pushes a model whose weights are
a random blob of --size-mb MB, then times (best of --repeat):
  - pollama's pull into an empty store (parallel ranged parts, sidecar, sha256 verify, rename),
  - one streaming httpx GET of the same blob URL written to a file (no verification).
Each timing starts after os.sync(), so dirty pages of the previous one are not being written back
during it. Prints both throughputs and the ratio (target: pull >= 0.9x plain).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "registry"))

from registry_harness import Registry, collect, make_model  # noqa: E402

from pollama.registry import pull, push  # noqa: E402
from pollama.store import Store  # noqa: E402


async def _plain(url: str, dest: Path) -> float:
    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as client, client.stream("GET", url) as resp:
        resp.raise_for_status()
        with open(dest, "wb") as f:
            async for chunk in resp.aiter_raw():
                f.write(chunk)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    size = args.size_mb * 1_000_000
    tmp = Path(tempfile.mkdtemp(prefix="bench-pull-"))
    registry = Registry(tmp / "registry").start()
    try:
        src = Store(tmp / "src")
        name, manifest = make_model(src, f"{registry.host}/bench/big:latest", {"model": os.urandom(size)})
        t = time.perf_counter()
        asyncio.run(collect(push(src, name, insecure=True)))
        print(f"push:  {size / (time.perf_counter() - t) / 1e6:8.1f} MB/s  ({args.size_mb} MB, chunked upload)")
        digest = manifest.layers[0].digest
        url = f"{registry.url}/v2/{name.repository}/blobs/{digest}"
        shutil.rmtree(src.root)

        pull_times, plain_times = [], []
        for i in range(args.repeat):
            dest = tmp / f"plain-{i}"
            os.sync()  # each timing starts with no dirty pages left by the one before
            plain_times.append(asyncio.run(_plain(url, dest)))
            dest.unlink()
            dst = Store(tmp / f"dst-{i}")
            os.sync()
            t = time.perf_counter()
            events = asyncio.run(collect(pull(dst, name, insecure=True)))
            pull_times.append(time.perf_counter() - t)
            assert events[-1] == {"status": "success"} and dst.blob_path(digest).stat().st_size == size
            shutil.rmtree(dst.root)
        pull_rate = size / min(pull_times) / 1e6
        plain_rate = size / min(plain_times) / 1e6
        median = statistics.median(pull_times) / statistics.median(plain_times)
        print(f"pull:  {pull_rate:8.1f} MB/s  (best of {args.repeat}; sha256 verified)")
        print(f"plain: {plain_rate:8.1f} MB/s  (one httpx stream to a file)")
        print(f"ratio: {pull_rate / plain_rate:8.2f}x  (target >= 0.9x; {1 / median:.2f}x on medians)")
        load = os.getloadavg()[0]
        print(f"load:  {load:8.2f}    on {os.cpu_count()} CPUs (verification needs a spare core to be free)")
    finally:
        registry.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
