"""`pollama` command line: the same verbs and flags as `ollama`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from pollama import __version__
from pollama.cli.format import human_bytes, human_time, table
from pollama.client import Client, ClientError

__all__ = ["main"]


def _err(msg: str) -> int:
    print(f"Error: {msg}", file=sys.stderr)
    return 1


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from pollama.config import settings
    from pollama.server.app import create_app

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            # stop the runners first: streams in flight end with an error line at once instead of holding
            # the shutdown until uvicorn's grace period runs out and cuts them off
            scheduler = getattr(app.state, "scheduler", None)
            if scheduler is not None:
                await scheduler.shutdown()
            await super().shutdown(sockets)

    cfg = settings()
    logging.basicConfig(level=logging.DEBUG if cfg.debug else logging.INFO,
                        format="time=%(asctime)s level=%(levelname)s msg=%(message)s")
    app = create_app(cfg)
    server = Server(uvicorn.Config(app, host=cfg.host.host, port=cfg.host.port, log_level="warning",
                                   timeout_graceful_shutdown=3))
    server.run()
    return 0 if server.started else 1


def cmd_list(args: argparse.Namespace) -> int:
    models = Client().json("GET", "/api/tags")["models"]
    rows = [[m["name"], m["digest"][:12], human_bytes(m["size"]), human_time(m["modified_at"])] for m in models]
    print(table(["NAME", "ID", "SIZE", "MODIFIED"], rows))
    return 0


def cmd_ps(args: argparse.Namespace) -> int:
    models = Client().json("GET", "/api/ps")["models"]
    rows = []
    for m in models:
        vram, size = m.get("size_vram", 0), m.get("size", 0)
        if vram == 0:
            proc = "100% CPU"
        elif vram >= size:
            proc = "100% GPU"
        else:
            pct = round(100 * vram / size)
            proc = f"{100 - pct}%/{pct}% CPU/GPU"
        rows.append([m["name"], m["digest"][:12], human_bytes(size), proc, str(m.get("context_length", "")),
                     human_time(m.get("expires_at"), "Forever")])
    print(table(["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"], rows))
    return 0


def cmd_cp(args: argparse.Namespace) -> int:
    Client().json("POST", "/api/copy", {"source": args.source, "destination": args.destination})
    print(f"copied '{args.source}' to '{args.destination}'")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    client = Client()
    for name in args.models:
        client.json("DELETE", "/api/delete", {"model": name})
        print(f"deleted '{name}'")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    client = Client()
    running = {m["name"] for m in client.json("GET", "/api/ps")["models"]}
    from pollama.store.names import parse_name

    if parse_name(args.model).display not in running and args.model not in running:
        return _err(f"couldn't find model \"{args.model}\" to stop")
    client.json("POST", "/api/generate", {"model": args.model, "keep_alive": 0})
    return 0


def _show_section(title: str, rows: list[tuple[str, str]] | list[str]) -> None:
    print(f"  {title}")
    for row in rows:
        if isinstance(row, tuple):
            print(f"    {row[0]:<20}{row[1]}")
        else:
            print(f"    {row}")
    print()


def cmd_show(args: argparse.Namespace) -> int:
    resp = Client().json("POST", "/api/show", {"model": args.model, "verbose": args.verbose})
    for flag, key in (("license", "license"), ("modelfile", "modelfile"), ("parameters", "parameters"),
                      ("system", "system"), ("template", "template")):
        if getattr(args, flag):
            text = resp.get(key)
            if not text:
                return _err(f"{key} not specified for model")
            print(text)
            return 0
    info = resp.get("model_info") or {}
    arch = info.get("general.architecture", "")
    rows: list[tuple[str, str]] = [("architecture", arch),
                                   ("parameters", resp["details"].get("parameter_size", ""))]
    for label, key in (("context length", "context_length"), ("embedding length", "embedding_length")):
        if f"{arch}.{key}" in info:
            rows.append((label, str(info[f"{arch}.{key}"])))
    rows.append(("quantization", resp["details"].get("quantization_level", "")))
    print()
    _show_section("Model", rows)
    if resp.get("capabilities"):
        _show_section("Capabilities", list(resp["capabilities"]))
    if resp.get("parameters"):
        _show_section("Parameters", [line for line in resp["parameters"].splitlines()])
    if resp.get("system"):
        _show_section("System", resp["system"].strip().splitlines()[:2])
    if resp.get("license"):
        _show_section("License", [ln for ln in resp["license"].strip().splitlines() if ln.strip()][:2])
    if args.verbose:
        _show_section("Metadata", [(k, str(v)) for k, v in info.items()])
    return 0


def _progress_stream(events: Any) -> None:
    """Render pull/push/create progress: a line per step, a bar per layer (see cli/progress.py)."""
    from pollama.cli.progress import render_progress

    render_progress(events)


def cmd_create(args: argparse.Namespace) -> int:
    from pollama.modelfile import ModelfileError, parse

    client = Client()
    path = Path(args.file) if args.file else Path("Modelfile")
    if not path.is_file():
        return _err(f"open {path}: no such file or directory")
    try:
        mf = parse(path.read_text())
    except (ModelfileError, ValueError) as e:
        return _err(str(e))
    body: dict[str, Any] = {"model": args.model}
    base_dir = path.resolve().parent

    def local(ref: str) -> Path | None:
        candidate = Path(os.path.expanduser(ref))
        if not candidate.is_absolute():
            candidate = base_dir / candidate
        return candidate if candidate.exists() else None

    print("gathering model components")
    source = mf.get("model")
    if not source:
        return _err("no FROM line")
    src_path = local(source)
    if src_path is not None:
        if src_path.is_file():
            files = {src_path.name: src_path}
        else:  # a safetensors folder: weights, configs and tokenizer files, sub-folders included
            files = {p.relative_to(src_path).as_posix(): p for p in sorted(src_path.rglob("*"))
                     if p.is_file() and p.suffix in {".json", ".safetensors", ".model", ".txt", ".jinja"}}
        body["files"] = {}
        for rel, f in files.items():
            print(f"copying file {rel}")
            body["files"][rel] = client.upload_blob(f)
    elif source.startswith(("./", "../", "/", "~")):
        return _err(f"no such file or directory: {source}")
    else:
        body["from"] = source
    adapters = {}
    for i, ref in enumerate(mf.all("adapter")):
        a_path = local(ref)
        if a_path is None:
            return _err(f"no such adapter file: {ref}")
        adapters[a_path.name if a_path.is_file() else f"adapter{i}"] = client.upload_blob(a_path)
    if adapters:
        body["adapters"] = adapters
    body.update(mf.request_fields())
    if args.quantize:
        body["quantize"] = args.quantize
    _progress_stream(client.stream("/api/create", body))
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    _progress_stream(Client().stream("/api/pull", {"model": args.model, "insecure": args.insecure}))
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    _progress_stream(Client().stream("/api/push", {"model": args.model, "insecure": args.insecure}))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from pollama.cli.run import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pollama", description="Large language model runner")
    p.add_argument("-v", "--version", action="store_true", help="Show version information")
    sub = p.add_subparsers(dest="command")

    sub.add_parser("serve", help="Start pollama").set_defaults(func=cmd_serve)

    c = sub.add_parser("create", help="Create a model from a Modelfile")
    c.add_argument("model")
    c.add_argument("-f", "--file", help="Name of the Modelfile (default \"Modelfile\")")
    c.add_argument("-q", "--quantize", help="Quantize model to this level (e.g. q4_K_M)")
    c.set_defaults(func=cmd_create)

    s = sub.add_parser("show", help="Show information for a model")
    s.add_argument("model")
    for flag in ("license", "modelfile", "parameters", "system", "template", "verbose"):
        s.add_argument(f"--{flag}", action="store_true")
    s.set_defaults(func=cmd_show)

    r = sub.add_parser("run", help="Run a model")
    r.add_argument("model")
    r.add_argument("prompt", nargs="*")
    r.add_argument("--verbose", action="store_true", help="Show timings for response")
    r.add_argument("--format", help="Response format (e.g. json)")
    r.add_argument("--think", nargs="?", const="true", default=None,
                   help="Enable thinking mode: true/false or high/medium/low")
    r.add_argument("--hidethinking", action="store_true", help="Hide thinking output")
    r.add_argument("--keepalive", help="Duration to keep a model loaded (e.g. 5m)")
    r.add_argument("--nowordwrap", action="store_true", help="Don't wrap words to the next line")
    r.add_argument("--insecure", action="store_true", help="Use an insecure registry")
    r.set_defaults(func=cmd_run)

    st = sub.add_parser("stop", help="Stop a running model")
    st.add_argument("model")
    st.set_defaults(func=cmd_stop)

    for verb, fn in (("pull", cmd_pull), ("push", cmd_push)):
        x = sub.add_parser(verb, help=f"{verb.capitalize()} a model {'from' if verb == 'pull' else 'to'} a registry")
        x.add_argument("model")
        x.add_argument("--insecure", action="store_true", help="Use an insecure registry")
        x.set_defaults(func=fn)

    for alias in ("list", "ls"):
        sub.add_parser(alias, help="List models").set_defaults(func=cmd_list)
    sub.add_parser("ps", help="List running models").set_defaults(func=cmd_ps)

    cp = sub.add_parser("cp", help="Copy a model")
    cp.add_argument("source")
    cp.add_argument("destination")
    cp.set_defaults(func=cmd_cp)

    rm = sub.add_parser("rm", help="Remove a model")
    rm.add_argument("models", nargs="+")
    rm.set_defaults(func=cmd_rm)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "command", None) == "run" and not any(x.startswith("-") for x in extra):
        args.prompt += extra  # like cobra, `run MODEL --verbose PROMPT` takes prompt words after flags
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.version:
        print(f"pollama version is {__version__}")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ClientError as e:
        return _err(e.message)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `pollama list | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
