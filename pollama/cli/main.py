"""`pollama` command line: the same verbs and flags as `ollama`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from pollama import __version__
from pollama.api.duration import parse_duration
from pollama.cli import models
from pollama.cli.chat import RunOptions
from pollama.cli.display import print_error
from pollama.cli.run import run
from pollama.client import Client, ClientError
from pollama.config import settings

__all__ = ["main"]


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn  # the server and its libraries load only for `serve`

    from pollama.logs import configure as configure_logging
    from pollama.server.app import create_app

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            # stop the runners first: streams in flight end with an error line at once instead of holding
            # the shutdown until uvicorn's grace period runs out and cuts them off
            scheduler = getattr(app.state, "scheduler", None)
            if scheduler is not None:
                await scheduler.shutdown()
            await super().shutdown(sockets)

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            logging.getLogger("pollama").info("listening on %s; web chat at %s/ui", cfg.host.url, cfg.host.url)

    cfg = settings()
    configure_logging(logging.DEBUG if cfg.debug else logging.INFO, cfg.log_json)
    app = create_app(cfg)
    # uvicorn's own records go to the same handler (log_config=None); the request log replaces its access log
    server = Server(uvicorn.Config(app, host=cfg.host.host, port=cfg.host.port, log_level="warning",
                                   log_config=None, access_log=False, timeout_graceful_shutdown=3))
    server.run()
    return 0 if server.started else 1


def cmd_list(args: argparse.Namespace) -> int:
    models.list_models(Client())
    return 0


def cmd_ps(args: argparse.Namespace) -> int:
    models.list_running(Client())
    return 0


def cmd_cp(args: argparse.Namespace) -> int:
    models.copy_model(Client(), args.source, args.destination)
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    models.remove_models(Client(), args.models)
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    return models.stop_model(Client(), args.model)


def cmd_show(args: argparse.Namespace) -> int:
    field = next((f for f in models.SHOW_FIELDS if getattr(args, f)), None)
    return models.show_model(Client(), args.model, args.verbose, field)


def cmd_create(args: argparse.Namespace) -> int:
    return models.create_model(Client(), args.model, Path(args.file or "Modelfile"), args.quantize)


def cmd_pull(args: argparse.Namespace) -> int:
    models.pull(Client(), args.model, args.insecure)
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    models.push(Client(), args.model, args.insecure)
    return 0


def cmd_rpc(args: argparse.Namespace) -> int:
    from pollama import rpc

    try:
        rpc.serve(args.host, args.port, args.threads, Path(args.cache).expanduser() if args.cache else None)
    except rpc.RpcError as e:
        return print_error(str(e))
    return 1


THINK_LEVELS = ("high", "medium", "low")
_VALUE_FLAGS = {"--format", "--keepalive"}


def parse_think(value: str | None) -> bool | str | None:
    """The `--think[=...]` flag: None when absent. Raises ValueError on an unknown value."""
    if value is None:
        return None
    if value in ("", "true"):
        return True
    if value == "false":
        return False
    if value in THINK_LEVELS:
        return value
    raise ValueError(f'invalid value for --think: "{value}" (must be true, false, high, medium, or low)')


def _fix_think_flag(args: argparse.Namespace, argv: list[str]) -> None:
    """`--think PROMPT`: like pflag, a bare --think takes no value, so give the word back to the prompt."""
    value = args.think
    if value is None or value in ("", "true", "false", *THINK_LEVELS) or f"--think={value}" in argv:
        return
    if "--think" not in argv:
        return
    idx = argv.index("--think")
    before, skip = 0, False
    tokens = argv[argv.index("run") + 2:idx] if "run" in argv and argv.index("run") + 1 < idx else []
    for tok in tokens:
        if skip:
            skip = False
        elif tok in _VALUE_FLAGS:
            skip = True
        elif not tok.startswith("--"):
            before += 1
    args.prompt = [*args.prompt[:before], value, *args.prompt[before:]]
    args.think = "true"


def cmd_run(args: argparse.Namespace) -> int:
    try:
        think = parse_think(args.think)
        if args.keepalive:
            parse_duration(args.keepalive)
    except ValueError as e:
        return print_error(str(e))
    opts = RunOptions(model=args.model, prompt=" ".join(args.prompt or []), format=args.format or "",
                      keep_alive=args.keepalive or None, think=think, hide_thinking=args.hidethinking,
                      verbose=args.verbose, word_wrap=not args.nowordwrap)
    return run(opts, args.insecure)


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
    for flag in (*models.SHOW_FIELDS, "verbose"):
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

    rp = sub.add_parser("rpc", help="Lend this machine's CPU to pollama servers (a llama.cpp RPC server)")
    rp.add_argument("--host", default="127.0.0.1", help="address to listen on (the protocol has no authentication)")
    rp.add_argument("--port", type=int, default=50052, help="port (default 50052)")
    rp.add_argument("--threads", type=int, default=0, help="CPU threads (default: all)")
    rp.add_argument("--cache", nargs="?", const=str(Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache") /
                                                    "pollama" / "rpc"), metavar="DIR",
                    help="keep received weights in DIR so a reload does not send them again")
    rp.set_defaults(func=cmd_rpc)

    cp = sub.add_parser("cp", help="Copy a model")
    cp.add_argument("source")
    cp.add_argument("destination")
    cp.set_defaults(func=cmd_cp)

    rm = sub.add_parser("rm", help="Remove a model")
    rm.add_argument("models", nargs="+")
    rm.set_defaults(func=cmd_rm)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "command", None) == "run" and not any(x.startswith("-") for x in extra):
        args.prompt += extra  # like cobra, `run MODEL --verbose PROMPT` takes prompt words after flags
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "run":
        _fix_think_flag(args, argv)
    if args.version:
        print(f"pollama version is {__version__}")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ClientError as e:
        return print_error(e.message)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `pollama list | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
