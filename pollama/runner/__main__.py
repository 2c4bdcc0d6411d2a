"""`python -m pollama.runner --model PATH ...`: load one model and serve it on a local socket."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import sys
import threading
import time

__all__ = ["main", "parse_args"]

# the server that started us (it says which in the environment, so a server that died before this line
# ran is noticed too); a runner started by hand watches whoever started it
_PARENT = int(os.environ.get("POLLAMA_RUNNER_PARENT") or os.getppid())
_PR_SET_PDEATHSIG = 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m pollama.runner", description=__doc__)
    p.add_argument("--model", required=True, help="GGUF file")
    p.add_argument("--ctx", type=int, default=2048, help="context length per slot")
    p.add_argument("--parallel", type=int, default=1, help="number of slots")
    p.add_argument("--batch", type=int, default=512, help="tokens per decode step")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    p.add_argument("--embedding", action="store_true", help="serve embeddings")
    p.add_argument("--flash-attn", choices=("auto", "on", "off"), default="auto", help="flash attention")
    p.add_argument("--cache-type", choices=("f16", "q8_0", "q4_0"), default="f16", help="K and V cache type")
    p.add_argument("--flush-interval", type=float, default=0.0,
                   help="seconds between a request's reply lines, at most (0: a line per token)")
    p.add_argument("--lora", action="append", default=[], help="LoRA adapter GGUF (repeatable)")
    p.add_argument("--draft", help="draft model GGUF for speculative decoding")
    p.add_argument("--mmproj", help="vision projector GGUF (images in prompts)")
    p.add_argument("--rpc", default="", help="llama.cpp RPC servers to spread layers over (host:port,...)")
    p.add_argument("--tensor-split", default="", help="weights: the local CPU, then each RPC device")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    return p.parse_args(argv)


def _emit(obj: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _exit_with_parent() -> None:
    """Die with the server that started us, however it ends (SIGKILL included). Linux: the kernel sends
    SIGKILL when the parent thread exits (the server spawns runners from its event-loop thread). Everywhere:
    a thread that exits once the parent id changes, which also covers a parent gone before this ran."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    def watch() -> None:
        while os.getppid() == _PARENT:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    _exit_with_parent()
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="runner: %(levelname)s %(message)s")

    from pollama.gguf import GGUFError, draft_mismatch, read_gguf
    from pollama.runner.draft import Drafter
    from pollama.runner.engine import Engine
    from pollama.runner.llama import (
        ContextConfig,
        LoadError,
        Model,
        kv_cache_report,
        make_context,
        setup_logging,
    )
    from pollama.runner.mtmd import Vision
    from pollama.runner.rpc import load_model
    from pollama.runner.server import RunnerServer

    setup_logging()
    parallel = max(1, args.parallel)
    threads = args.threads if args.threads > 0 else (os.cpu_count() or 1)
    try:
        model, devices = load_model(args.model, args.lora, args.rpc, args.tensor_split)
        n_ctx = max(4, args.ctx)
        if model.n_ctx_train > 0 and n_ctx > model.n_ctx_train:
            logging.warning("requested context %d exceeds the model's %d; using %d",
                            n_ctx, model.n_ctx_train, model.n_ctx_train)
            n_ctx = model.n_ctx_train
        n_batch = n_ctx if args.embedding else max(min(args.batch, n_ctx), parallel)  # what one step can hold
        cfg = ContextConfig(n_ctx, parallel, n_batch, threads, args.embedding, flash_attn=args.flash_attn,
                            cache_type=args.cache_type)
        ctx = make_context(model, cfg)
        vision = Vision(args.mmproj, model, threads) if args.mmproj and not args.embedding else None
        drafter = None
        if args.draft and not args.embedding:
            try:
                why = draft_mismatch(read_gguf(args.model, arrays=True, tensors=False),
                                     read_gguf(args.draft, arrays=True, tensors=False))
            except GGUFError as e:
                why = str(e)
            if why:
                raise LoadError(f"{args.draft} cannot be this model's draft model: {why}")
            drafter = Drafter(Model(args.draft), n_ctx=n_ctx, parallel=parallel, n_batch=n_batch, threads=threads)
        engine = Engine(model, ctx, n_ctx=n_ctx, parallel=parallel, n_batch=n_batch, embedding=args.embedding,
                        flush_interval=args.flush_interval, vision=vision, drafter=drafter)
    except LoadError as e:
        _emit({"status": "error", "error": str(e)})
        return 1
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(128)
    info = {"n_ctx_train": model.n_ctx_train, "n_embd": model.n_embd, "vocab_size": model.n_vocab,
            "parallel": parallel, "n_ctx": n_ctx, "embedding": bool(args.embedding), **kv_cache_report(cfg),
            "devices": devices, "draft": drafter is not None}
    server = RunnerServer(model, engine, n_ctx=n_ctx, parallel=parallel, embedding=args.embedding, info=info)
    engine.start()
    _emit({"status": "ready", "port": listener.getsockname()[1], **info})
    try:
        server.serve_forever(listener)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
