"""Model management routes: tags, show, create, blobs, copy, delete, pull, push."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import gguf
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pollama import registry
from pollama.api.errors import APIError, BadRequest, ModelNotFound
from pollama.api.types import (
    CopyRequest,
    CreateRequest,
    DeleteRequest,
    PullRequest,
    PushRequest,
    ShowRequest,
    parse_request,
)
from pollama.create import create_model
from pollama.gguf import read_gguf
from pollama.modelfile import render_show_modelfile
from pollama.prompt.gofmt import sprintf
from pollama.server.streaming import ndjson_or_single
from pollama.store import Model, Store, check_digest, load_model, parse_name
from pollama.store.names import Name

__all__ = ["router"]

router = APIRouter()


def iso(t: dt.datetime) -> str:
    return t.isoformat()


def _store(request: Request) -> Store:
    return request.app.state.store


def _required_name(raw: str) -> Name:
    if not raw:
        raise BadRequest("model is required")
    return parse_name(raw)


@router.api_route("/api/tags", methods=["GET", "HEAD"])
async def tags(request: Request) -> Response:
    store = _store(request)
    models = await asyncio.to_thread(_list_models, store)
    return JSONResponse({"models": models})


def _list_models(store: Store) -> list[dict[str, Any]]:
    out = []
    for name, _path in store.iter_manifests():
        try:
            model = load_model(store, name)
        except (APIError, OSError, ValueError, KeyError):
            continue  # unreadable manifest: skip it as Ollama does
        out.append({
            "name": name.display,
            "model": name.display,
            "modified_at": iso(model.modified_at),
            "size": sum(layer.size for layer in model.manifest.layers),
            "digest": model.digest.split(":", 1)[1],
            "details": model.details(),
        })
    out.sort(key=lambda m: m["modified_at"], reverse=True)
    return out


def format_parameters(params: dict[str, Any]) -> str:
    """Ollama's `parameters` text of /api/show: `%-30s %#v` per value."""
    lines = []
    for key in sorted(params):
        values = params[key] if isinstance(params[key], list) else [params[key]]
        for v in values:
            lines.append(sprintf("%-*s %#v", [30, key, v]))
    return "\n".join(lines)


def model_modelfile(model: Model) -> str:
    source = str(model.model_path) if model.model_path else ""
    return render_show_modelfile(
        model.name.display, source, model.template, model.system, model.params, model.messages,
        model.license, [str(a) for a in model.adapters], model.config.get("requires") or None,
        model.renderer or None, model.parser or None, str(model.draft_path) if model.draft_path else None,
    )


def show_model(model: Model, verbose: bool = False) -> dict[str, Any]:
    info = model.info(arrays=verbose)
    out: dict[str, Any] = {
        "modelfile": model_modelfile(model),
        "parameters": format_parameters(model.params),
        "template": model.template if model.template is not None else (model.chat_template or "{{ .Prompt }}"),
        "details": model.details(),
        "model_info": info.model_info(verbose) if info else {},
        "capabilities": model.capabilities,
        "modified_at": iso(model.modified_at),
    }
    if model.license:
        out["license"] = "\n".join(model.license)
    if model.system is not None:
        out["system"] = model.system
    for key, value in (("renderer", model.renderer), ("parser", model.parser)):
        if value:
            out[key] = value
    if model.messages:
        out["messages"] = model.messages
    if model.config.get("requires"):
        out["requires"] = model.config["requires"]
    if model.projectors:
        out["projector_info"] = read_gguf(model.projectors[0]).model_info(verbose)
    if verbose and info is not None:
        out["tensors"] = [
            {"name": n, "type": _ggml_type(t), "shape": list(shape)} for n, shape, t in info.tensors
        ]
    return out


def _ggml_type(t: int) -> str:
    try:
        return gguf.GGMLQuantizationType(t).name
    except ValueError:
        return str(t)


@router.post("/api/show")
async def show(request: Request) -> Response:
    req = parse_request(await request.body(), ShowRequest)
    name = _required_name(req.model_name)
    return JSONResponse(await asyncio.to_thread(_show, _store(request), name, req))


def _show(store: Store, name: Name, req: ShowRequest) -> dict[str, Any]:
    with store.hold() as hold:  # its blobs stay while they are read, whatever is deleted meanwhile
        model = load_model(store, name, hold)
        overrides = {"system": req.system, "template": req.template}
        model = dataclasses.replace(model, **{k: v for k, v in overrides.items() if v is not None})
        return show_model(model, req.verbose)


@router.post("/api/create")
async def create(request: Request) -> Response:
    req = parse_request(await request.body(), CreateRequest)
    return await ndjson_or_single(create_model(_store(request), req), req.stream is not False)


@router.head("/api/blobs/{digest}")
async def blob_exists(digest: str, request: Request) -> Response:
    try:
        present = _store(request).has_blob(check_digest(digest))
    except BadRequest:
        return Response(status_code=400)
    return Response(status_code=200 if present else 404)


@router.post("/api/blobs/{digest}")
async def blob_upload(digest: str, request: Request) -> Response:
    expected = check_digest(digest)
    store = _store(request)
    if store.has_blob(expected):
        async for _ in request.stream():
            pass
        return Response(status_code=200)
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)
    loop = asyncio.get_running_loop()

    def chunks() -> Iterator[bytes]:
        while (item := asyncio.run_coroutine_threadsafe(queue.get(), loop).result()) is not None:
            yield item

    async def feed(item: bytes | None) -> bool:
        """Queue `item` for the writer thread; False when the writer has stopped (a write failed)."""
        put = asyncio.ensure_future(queue.put(item))
        await asyncio.wait((put, writer), return_when=asyncio.FIRST_COMPLETED)
        put.cancel()
        return not writer.done()

    writer = asyncio.ensure_future(asyncio.to_thread(store.write_blob, chunks(), expected))
    try:
        async for chunk in request.stream():
            if chunk and not await feed(chunk):
                break  # the rest of the body is discarded by the server once the error is answered
    finally:
        await feed(None)  # the writer thread ends (and drops its temp file) whatever happened here
        [result] = await asyncio.gather(writer, return_exceptions=True)
    if isinstance(result, BaseException):
        raise result  # a full disk: 500 "write ...: no space left on device"
    return Response(status_code=201)


@router.post("/api/copy")
async def copy(request: Request) -> Response:
    req = parse_request(await request.body(), CopyRequest)
    src, dst = _required_name(req.source), _required_name(req.destination)
    await asyncio.to_thread(_store(request).copy, src, dst)
    return Response(status_code=200)


@router.delete("/api/delete")
async def delete(request: Request) -> Response:
    req = parse_request(await request.body(), DeleteRequest)
    name = _required_name(req.model_name)
    await request.app.state.scheduler.unload_name(name)
    await asyncio.to_thread(_store(request).delete, name)
    return Response(status_code=200)


async def _registry_errors(progress: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    """A pull's or push's progress, its RegistryError an APIError with the registry's status."""
    try:
        async for status in progress:
            yield status
    except registry.RegistryError as e:
        raise APIError(str(e), getattr(e, "status", 500) or 500) from None


@router.post("/api/pull")
async def pull(request: Request) -> Response:
    req = parse_request(await request.body(), PullRequest)
    name = _required_name(req.model_name)
    streams = request.app.state.settings.max_transfer_streams
    pulling = registry.pull(_store(request), name, insecure=req.insecure, streams=streams)
    return await ndjson_or_single(_registry_errors(pulling), req.stream is not False)


@router.post("/api/push")
async def push(request: Request) -> Response:
    req = parse_request(await request.body(), PushRequest)
    name = _required_name(req.model_name)
    if not _store(request).exists(name):
        raise ModelNotFound(name.given)
    pushing = registry.push(_store(request), name, insecure=req.insecure)
    return await ndjson_or_single(_registry_errors(pushing), req.stream is not False)
