"""Model management over the server's API, printed as `ollama` prints it: list, ps, show, copy, remove,
stop, and pull / push / create with their progress. Each takes a `Client` and plain values; the
functions that can refuse return the exit status (after printing the error)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.console import Console

from pollama.cli.display import print_error
from pollama.cli.format import human_bytes, human_time, table
from pollama.cli.progress import render_progress
from pollama.client import Client

__all__ = [
    "SHOW_FIELDS", "copy_model", "create_model", "list_models", "list_running", "pull", "push",
    "remove_models", "show_model", "stop_model",
]

SHOW_FIELDS = ("license", "modelfile", "parameters", "system", "template")
# what a Modelfile's FROM folder contributes: weights, configs and tokenizer files, sub-folders included
_FOLDER_SUFFIXES = {".json", ".safetensors", ".model", ".txt", ".jinja"}


def list_models(client: Client) -> None:
    models = client.json("GET", "/api/tags")["models"]
    rows = [[m["name"], m["digest"][:12], human_bytes(m["size"]), human_time(m["modified_at"])] for m in models]
    print(table(["NAME", "ID", "SIZE", "MODIFIED"], rows))


def _processor(vram: int, size: int, devices: list[dict[str, Any]]) -> str:
    if any(d.get("device") != "CPU" for d in devices):  # layers on RPC servers: each device's count
        return ", ".join(f"{d.get('device')} {d.get('layers')}" for d in devices) + " layers"
    if vram == 0:
        return "100% CPU"
    if vram >= size:
        return "100% GPU"
    pct = round(100 * vram / size)
    return f"{100 - pct}%/{pct}% CPU/GPU"


def list_running(client: Client) -> None:
    rows = []
    for m in client.json("GET", "/api/ps")["models"]:
        size = m.get("size", 0)
        processor = _processor(m.get("size_vram", 0), size, m.get("devices") or [])
        rows.append([m["name"], m["digest"][:12], human_bytes(size), processor,
                     str(m.get("context_length", "")), human_time(m.get("expires_at"), "Forever")])
    print(table(["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"], rows))


def copy_model(client: Client, source: str, destination: str) -> None:
    client.json("POST", "/api/copy", {"source": source, "destination": destination})
    print(f"copied '{source}' to '{destination}'")


def remove_models(client: Client, names: list[str]) -> None:
    for name in names:
        client.json("DELETE", "/api/delete", {"model": name})
        print(f"deleted '{name}'")


def stop_model(client: Client, name: str) -> int:
    from pollama.store.names import parse_name  # the store package loads gguf and numpy: only for `stop`

    running = {m["name"] for m in client.json("GET", "/api/ps")["models"]}
    if parse_name(name).display not in running and name not in running:
        return print_error(f"couldn't find model \"{name}\" to stop")
    client.json("POST", "/api/generate", {"model": name, "keep_alive": 0})
    return 0


def _show_section(title: str, rows: list[tuple[str, str]] | list[str]) -> None:
    print(f"  {title}")
    for row in rows:
        if isinstance(row, tuple):
            print(f"    {row[0]:<20}{row[1]}")
        else:
            print(f"    {row}")
    print()


def _print_info(resp: dict[str, Any], verbose: bool) -> None:
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
        _show_section("Parameters", resp["parameters"].splitlines())
    if resp.get("system"):
        _show_section("System", resp["system"].strip().splitlines()[:2])
    if resp.get("license"):
        _show_section("License", [ln for ln in resp["license"].strip().splitlines() if ln.strip()][:2])
    if verbose:
        _show_section("Metadata", [(k, str(v)) for k, v in info.items()])


def show_model(client: Client, name: str, verbose: bool = False, field: str | None = None) -> int:
    """`show`: the model's summary, or only one of SHOW_FIELDS (an error when the model has none)."""
    resp = client.json("POST", "/api/show", {"model": name, "verbose": verbose})
    if field is None:
        _print_info(resp, verbose)
        return 0
    text = resp.get(field)
    if not text:
        return print_error(f"{field} not specified for model")
    print(text)
    return 0


def pull(client: Client, name: str, insecure: bool = False, console: Console | None = None) -> None:
    """Pull `name`, its progress printed to `console` (stdout by default)."""
    render_progress(client.stream("/api/pull", {"model": name, "insecure": insecure}), console)


def push(client: Client, name: str, insecure: bool = False) -> None:
    render_progress(client.stream("/api/push", {"model": name, "insecure": insecure}))


class _Refused(Exception):
    """A Modelfile `create` cannot use; the message is the error to print."""


def _upload_source(client: Client, source: str, local: Path | None) -> dict[str, Any]:
    """The create fields for FROM: uploaded files when it names a local file or folder, else a model."""
    if local is None:
        if source.startswith(("./", "../", "/", "~")):
            raise _Refused(f"no such file or directory: {source}")
        return {"from": source}
    if local.is_file():
        files = {local.name: local}
    else:
        files = {p.relative_to(local).as_posix(): p for p in sorted(local.rglob("*"))
                 if p.is_file() and p.suffix in _FOLDER_SUFFIXES}
    uploaded = {}
    for rel, f in files.items():
        print(f"copying file {rel}")
        uploaded[rel] = client.upload_blob(f)
    return {"files": uploaded}


def _create_request(client: Client, name: str, path: Path) -> dict[str, Any]:
    """The /api/create body for the Modelfile at `path`, its local files uploaded. Raises _Refused."""
    from pollama.modelfile import ModelfileError, parse  # the parser loads the template engine

    try:
        mf = parse(path.read_text())
    except (ModelfileError, ValueError) as e:
        raise _Refused(str(e)) from None
    base_dir = path.resolve().parent

    def local(ref: str) -> Path | None:
        candidate = Path(os.path.expanduser(ref))
        if not candidate.is_absolute():
            candidate = base_dir / candidate
        return candidate if candidate.exists() else None

    print("gathering model components")
    source = mf.get("model")
    if not source:
        raise _Refused("no FROM line")
    body: dict[str, Any] = {"model": name, **_upload_source(client, source, local(source))}
    adapters = {}
    for i, ref in enumerate(mf.all("adapter")):
        a_path = local(ref)
        if a_path is None:
            raise _Refused(f"no such adapter file: {ref}")
        adapters[a_path.name if a_path.is_file() else f"adapter{i}"] = client.upload_blob(a_path)
    if adapters:
        body["adapters"] = adapters
    fields = mf.request_fields()
    draft_file = local(fields["draft"]) if fields.get("draft") else None
    if draft_file is not None and draft_file.is_file():  # DRAFT names a GGUF file, not a model
        fields["draft"] = client.upload_blob(draft_file)
    return {**body, **fields}


def create_model(client: Client, name: str, modelfile: Path, quantize: str | None = None) -> int:
    """`create`: build `name` from the Modelfile at `modelfile`, uploading the files it names."""
    if not modelfile.is_file():
        return print_error(f"open {modelfile}: no such file or directory")
    try:
        body = _create_request(client, name, modelfile)
    except _Refused as e:
        return print_error(str(e))
    if quantize:
        body["quantize"] = quantize
    render_progress(client.stream("/api/create", body))
    return 0
