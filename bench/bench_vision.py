"""Images beside text streams: the image encode time, and the decode rate of text streams while an image
request runs, against the same engine with no image traffic (measured in the same run).

    python3 bench/bench_vision.py [--streams 3] [--tokens 96] [--repeat 3] [--threads 2]

The model is SmolLM2-135M (real weights) with a random CLIP-sized projector written by
scripts/make_tiny_vision_model.py's `write_projector` (224 px, 16 px patches: 196 image tokens, 8 layers of
width 512; random weights cost what trained ones cost). One `pollama serve` on a loopback port serves it.

encode:   Vision.encode in this process (same projector and thread count), median over --repeat images;
          and the image request's prompt_eval_duration over HTTP (its encode plus its embeddings' decode).
decode:   each text stream's eval_count / eval_duration (the runner's own timing of its generated tokens),
          averaged over the streams; "alone": --streams text requests; "beside an image": the same requests
          with one image request sent as they start (each round uses a new image, so it is encoded).
"""

from __future__ import annotations

import argparse
import base64
import io
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from model_upload import upload_blob  # noqa: E402
from PIL import Image  # noqa: E402
from server_proc import Server  # noqa: E402

from pollama.bundled import smollm2_path  # noqa: E402
from pollama.inference.images import decode_image  # noqa: E402
from pollama.runner.llama import Model, setup_logging  # noqa: E402
from pollama.runner.mtmd import Vision  # noqa: E402
from scripts.make_tiny_vision_model import Tower, write_projector  # noqa: E402

TOWER = Tower(image_size=224, patch_size=16, embd=512, ff=2048, heads=8, layers=8, text_embd=576)
STORY = "Write a long story about a lighthouse keeper and a map."


def photo(seed: int) -> bytes:
    """A 640x480 JPEG of noise, different for every seed."""
    rgb = np.random.default_rng(seed).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def encode_seconds(projector: Path, threads: int, repeat: int) -> float:
    setup_logging(False)
    model = Model(smollm2_path() or "")
    vision = Vision(str(projector), model, threads)
    times = []
    for seed in range(repeat):
        prompt = vision.tokenize("[img-0]", [decode_image(photo(1000 + seed))], add_special=False)
        (image,) = prompt.images.values()
        t0 = time.perf_counter()
        vision.encode(image)
        times.append(time.perf_counter() - t0)
    vision.close()
    return statistics.median(times)


def request(http: httpx.Client, text: str, tokens: int, image: bytes | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "user", "content": f"[{random.randint(0, 10**9)}] {text}"}  # no cache hits
    if image is not None:
        msg["images"] = [base64.b64encode(image).decode()]
    r = http.post("/api/chat", json={"model": "smol-vision", "messages": [msg], "stream": False,
                                     "options": {"temperature": 0.8, "seed": 7, "num_predict": tokens}})
    r.raise_for_status()
    return r.json()


def rate(out: dict[str, Any]) -> float:
    return out["eval_count"] / out["eval_duration"] * 1e9


def round_(http: httpx.Client, streams: int, tokens: int, image: bytes | None) -> tuple[float, dict[str, Any]]:
    """(mean text decode rate, the image request's reply or {})."""
    with ThreadPoolExecutor(streams + 1) as pool:
        texts = [pool.submit(request, http, STORY, tokens) for _ in range(streams)]
        time.sleep(0.3)  # the text streams are generating when the image arrives
        seen = pool.submit(request, http, "Describe the picture.", 16, image) if image else None
        rates = [rate(f.result()) for f in texts]
        return statistics.mean(rates), (seen.result() if seen else {})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--streams", type=int, default=3)
    p.add_argument("--tokens", type=int, default=96)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        projector = write_projector(Path(tmp) / "mmproj.gguf", tower=TOWER)
        encode = encode_seconds(projector, args.threads, args.repeat)
        env = {"OLLAMA_NUM_PARALLEL": str(args.streams + 1)}
        with Server(Path(tmp) / "models", env) as srv, srv.client(timeout=600) as http:
            files = {"model.gguf": upload_blob(http, smollm2_path() or Path()),
                     "mmproj.gguf": upload_blob(http, projector)}
            http.post("/api/create", json={"model": "smol-vision", "files": files, "stream": False,
                                           "parameters": {"num_thread": args.threads}}).raise_for_status()
            request(http, "warm up", 4)
            alone, beside, image_eval = [], [], []
            for i in range(args.repeat):  # interleaved: the machine is shared and noisy
                alone.append(round_(http, args.streams, args.tokens, None)[0])
                r, seen = round_(http, args.streams, args.tokens, photo(i))
                beside.append(r)
                image_eval.append(seen["prompt_eval_duration"] / 1e9)
    a, b = statistics.median(alone), statistics.median(beside)
    print(f"image: {TOWER.patches} tokens; encode {encode * 1000:.0f} ms (in process, median of {args.repeat}); "
          f"image request prompt eval {statistics.median(image_eval) * 1000:.0f} ms (HTTP)")
    print(f"text decode, {args.streams} streams: alone {a:.1f} tok/s, beside an image {b:.1f} tok/s "
          f"(ratio {b / a:.2f}; medians of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
