"""Build a model from a create request: from a model, a GGUF blob or a safetensors folder, plus
template / system / parameters / messages / license / adapters / a draft model, optionally quantized.

Nothing partial is left behind: blobs written by a failed create that no manifest references are
removed, and the manifest is written last. Overwriting a model removes the layers of the version it
replaced that nothing else uses, as Ollama does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from pollama.api.errors import BadRequest, ModelNotFound
from pollama.api.options import OptionsError, parse_parameter, validate_options
from pollama.api.types import CreateRequest
from pollama.convert import ConvertError, convert_safetensors
from pollama.gguf import GGUFError, draft_mismatch, human_number, is_gguf, read_gguf
from pollama.modelfile import ModelfileError, is_semver, parse
from pollama.prompt.gotemplate import Template, TemplateError
from pollama.prompt.parsers import parser_for
from pollama.prompt.renderers import renderer_for
from pollama.quantize import QUANT_TYPES, SOURCE_TYPES, QuantizeError, quantize
from pollama.store import (
    CONFIG_MEDIA_TYPE,
    MEDIA,
    Hold,
    Layer,
    Manifest,
    Model,
    Name,
    Store,
    check_digest,
    disk_op,
    load_model,
    parse_name,
)

__all__ = ["create_model", "modelfile_to_request"]

_TEXT_KINDS = ("template", "system", "params", "messages", "license")


def modelfile_to_request(text: str, base: CreateRequest) -> CreateRequest:
    """The legacy `modelfile` field: turn its instructions into the current request fields."""
    try:
        mf = parse(text)
    except (ModelfileError, ValueError) as e:
        raise BadRequest(str(e)) from None
    data: dict[str, Any] = base.model_dump(by_alias=True, exclude_none=True)
    data.pop("modelfile", None)
    source = mf.get("model")
    if source:
        if source.startswith("@sha256:") or source.startswith("sha256:"):
            data["files"] = {"model.gguf": source.lstrip("@")}
        elif os.path.isabs(os.path.expanduser(source)):
            data["from"] = os.path.expanduser(source)
        else:
            data["from"] = source
    data.update(mf.request_fields())
    adapters = mf.all("adapter")
    if adapters:
        data["adapters"] = {f"adapter{i}": a.lstrip("@") for i, a in enumerate(adapters)}
    return CreateRequest.model_validate(data, strict=False)


class _Builder:
    """Collects layers. Every blob it writes or uses is held (`Store.hold`): none is removed by a
    concurrent delete before the manifest is written, and those it wrote go again if the create fails."""

    def __init__(self, store: Store, hold: Hold) -> None:
        self.store = store
        self.hold = hold
        self.layers: dict[str, list[Layer]] = {}

    def set(self, kind: str, layers: list[Layer]) -> None:
        self.layers[kind] = layers

    def add_bytes(self, kind: str, data: bytes) -> tuple[Layer, bool]:
        existed = self.store.has_blob(_digest_of(data))
        digest, size = self.store.write_blob_bytes(data, self.hold)
        return Layer(MEDIA[kind], digest, size), existed

    def add_file(self, kind: str, path: Path) -> Layer:
        with disk_op("read", path):
            digest, size = self.store.import_file(path, hold=self.hold)
        return Layer(MEDIA[kind], digest, size)

    def blob(self, digest: str, fname: str) -> Path:
        """An uploaded blob named by a request, held; 400 when it is not in the store."""
        if self.store.pin(self.hold, [check_digest(digest)]):
            raise BadRequest(f"blob for {fname} ({digest}) not found; upload it with POST /api/blobs/{digest}")
        return self.store.blob_path(digest)

    def ordered(self) -> list[Layer]:
        order = ("model", "projector", "adapter", "draft", "template", "system", "params", "messages", "license")
        return [layer for kind in order for layer in self.layers.get(kind, [])]


@contextlib.contextmanager
def _scratch(store: Store, prefix: str) -> Iterator[Path]:
    """A temp folder in the store's root (the disk the blob will go to), removed afterwards."""
    with disk_op("mkdir", store.root):
        tmp = tempfile.mkdtemp(prefix=prefix, dir=store.root)
    try:
        yield Path(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _status(text: str, **extra: Any) -> dict[str, Any]:
    return {"status": text, **extra}


async def create_model(store: Store, req: CreateRequest) -> AsyncIterator[dict[str, Any]]:
    """Async generator of Ollama's create progress objects; raises APIError on bad input."""
    req, name = _checked_request(req)
    params = _check_params(req.parameters)
    inherited = {"requires": _check_requires(req.requires), "draft": req.draft or None, **_check_builtins(req)}
    quant = req.quantize or req.quantization
    if quant:
        _check_quantize(store, req, quant)
    base: Model | None = None
    with store.hold() as hold:
        builder, source = _Builder(store, hold), req.from_ or ""
        if req.files:
            async for status in _from_files(store, builder, req.files):
                yield status
        elif os.path.isabs(source) and Path(source).exists():
            async for status in _from_path(builder, Path(source)):
                yield status
        else:
            base = _load_base(store, source, hold)
            for status in _use_base(builder, base):
                yield status
        if "model" not in builder.layers:
            raise BadRequest("no model layer: 'from' or 'files' must name a GGUF model or a safetensors folder")
        if quant:
            async for status in _quantize(store, builder, quant):
                yield status
        if req.adapters:
            _add_adapters(builder, req.adapters)
        if req.draft:
            _add_draft(store, builder, req.draft)
        for status in _add_text_layers(builder, _texts(base, req, params)):
            yield status
        config_layer = _write_config(store, builder, base, inherited)
        manifest = Manifest(config=config_layer, layers=builder.ordered())
        yield _status("writing manifest")
        await asyncio.to_thread(store.write_manifest, name, manifest)
        yield _status("success")


def _checked_request(req: CreateRequest) -> tuple[CreateRequest, Name]:
    """The request with its legacy `modelfile` applied and a local `from` path made absolute, and its name;
    raises BadRequest where the name, the source or a template is wrong."""
    if req.modelfile:
        req = modelfile_to_request(req.modelfile, req)
    if not req.model_name:
        raise BadRequest("model is required")
    name = parse_name(req.model_name)
    if not (req.from_ or req.files):
        raise BadRequest("neither 'from' or 'files' was specified")
    if req.from_ and req.from_.startswith(("/", "~", "./", "../")):
        path = Path(os.path.expanduser(req.from_))
        if not path.is_absolute():
            raise BadRequest(f"'from' must be a model name or an absolute path, not {req.from_!r}")
        if not path.exists():
            raise BadRequest(f"no such file or directory: {req.from_}")
        req = req.model_copy(update={"from_": str(path)})
    if req.template is not None:
        _check_template(req.template)
    return req, name


def _load_base(store: Store, source: str, hold: Hold) -> Model:
    try:
        return load_model(store, parse_name(source), hold)
    except ModelNotFound:
        raise BadRequest(f"model '{source}' not found; pull it first") from None


def _use_base(builder: _Builder, base: Model) -> Iterator[dict[str, Any]]:
    """Take the base model's weight layers (model, projector, adapter, draft)."""
    yield _status("reading model metadata")
    for layer in base.manifest.layers:
        kind = layer.media_type.rsplit(".", 1)[-1]
        if kind in ("model", "projector", "adapter", "draft"):
            builder.layers.setdefault(kind, []).append(layer)
    for layer in base.manifest.layers:
        yield _status(f"using existing layer {layer.digest}")


def _add_adapters(builder: _Builder, adapters: dict[str, str]) -> None:
    """Uploaded GGUF adapters, after those of the base model."""
    layers = []
    for fname, digest in adapters.items():
        path = builder.blob(digest, fname)
        if not is_gguf(path):
            raise BadRequest(f"adapter {fname} is not a GGUF file (safetensors adapters are not supported)")
        layers.append(Layer(MEDIA["adapter"], check_digest(digest), path.stat().st_size))
    builder.set("adapter", builder.layers.get("adapter", []) + layers)


def _add_draft(store: Store, builder: _Builder, ref: str) -> None:
    """DRAFT: a model in the store or an uploaded GGUF blob (`sha256:...`), whose vocabulary must be the
    model's (llama-server's test) for its tokens to be checked by the model."""
    if ref.lstrip("@").startswith(("sha256:", "sha256-")):
        digest = check_digest(ref.lstrip("@"))
        path = builder.blob(digest, "draft")
    else:
        draft = _load_base(store, ref, builder.hold)
        if draft.model_path is None or draft.model_digest is None:
            raise BadRequest(f"draft model '{ref}' has no model layer")
        path, digest = draft.model_path, draft.model_digest
    target = store.blob_path(builder.layers["model"][0].digest)
    try:
        why = draft_mismatch(read_gguf(target, arrays=True, tensors=False), read_gguf(path, arrays=True, tensors=False))
    except GGUFError as e:
        why = f"not a GGUF model ({e})"
    if why:
        raise BadRequest(f"draft model '{ref}' cannot draft for this model: {why}")
    builder.set("draft", [Layer(MEDIA["draft"], digest, path.stat().st_size)])


def _texts(base: Model | None, req: CreateRequest, params: dict[str, Any]) -> dict[str, list[bytes]]:
    """The text layers' contents by kind: the base model's, overridden by the request's; parameters merge."""
    texts: dict[str, list[bytes]] = {}
    if base is not None:
        if base.template is not None:
            texts["template"] = [base.template.encode()]
        if base.system is not None:
            texts["system"] = [base.system.encode()]
        if base.license:
            texts["license"] = [lic.encode() for lic in base.license]
        if base.messages:
            texts["messages"] = [json.dumps(base.messages).encode()]
    merged = dict(base.params) if base is not None else {}
    merged.update(params)
    if merged:
        texts["params"] = [json.dumps(merged).encode()]
    if req.template is not None:
        texts["template"] = [req.template.encode()]
    if req.system is not None:
        texts["system"] = [req.system.encode()]
    if req.license is not None:
        lic = [req.license] if isinstance(req.license, str) else req.license
        texts["license"] = [x.encode() for x in lic]
    if req.messages is not None:
        texts["messages"] = [json.dumps([m.to_dict() for m in req.messages]).encode()]
    return texts


def _add_text_layers(builder: _Builder, texts: dict[str, list[bytes]]) -> Iterator[dict[str, Any]]:
    for kind in _TEXT_KINDS:
        if kind not in texts:
            continue
        layers = []
        for data in texts[kind]:
            layer, existed = builder.add_bytes(kind, data)
            if not existed:
                yield _status(f"creating {kind} layer")
            yield _status(f"{'using already created' if existed else 'writing'} layer {layer.digest}")
            layers.append(layer)
        builder.set(kind, layers)


def _check_template(template: str) -> None:
    try:
        Template.parse(template)
    except TemplateError as e:
        raise BadRequest(str(e)) from None


def _check_requires(value: str | None) -> str | None:
    """REQUIRES / `requires`: a semantic version, stored without its `v` (as Ollama stores it)."""
    if value is None or value == "":
        return None
    if not is_semver(value):
        raise BadRequest(f"invalid requires version: {json.dumps(value)} is not valid semantic version")
    return value.removeprefix("v")


def _check_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Unknown parameter names are an error on create (as in a Modelfile); types are checked."""
    if not params:
        return {}
    try:
        for key, value in params.items():
            for item in value if isinstance(value, list) else [value]:
                parse_parameter(key, item if isinstance(item, str) else json.dumps(item))
        return validate_options(params)
    except OptionsError as e:
        raise BadRequest(str(e)) from None


async def _from_path(builder: _Builder, path: Path) -> AsyncIterator[dict[str, Any]]:
    if path.is_dir():
        async for status in _convert_dir(builder, path):
            yield status
        return
    _validate_gguf(path)
    yield _status("parsing GGUF")
    layer = await asyncio.to_thread(builder.add_file, "model", path)
    builder.set("model", [layer])
    yield _status(f"using existing layer {layer.digest}")


def _validate_gguf(path: Path) -> None:
    try:
        read_gguf(path)
    except GGUFError as e:
        raise BadRequest(f"invalid GGUF file: {e}") from None


async def _from_files(store: Store, builder: _Builder, files: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
    paths = {fname: builder.blob(digest, fname) for fname, digest in files.items()}
    for fname in paths:  # relative paths such as "1_Pooling/config.json" are fine; escaping is not
        parts = Path(fname).parts
        if not parts or Path(fname).is_absolute() or any(p in ("..", ".") for p in parts) or "\\" in fname:
            raise BadRequest(f"invalid file name {fname!r}")
    ggufs = [f for f, p in paths.items() if f.endswith(".gguf") or is_gguf(p)]
    if ggufs:
        models, projectors = [], []
        for fname in ggufs:  # validate everything before the first status line (errors keep their 400)
            path = paths[fname]
            _validate_gguf(path)
            info = read_gguf(path, tensors=False)
            layer = Layer(MEDIA["model"], check_digest(files[fname]), path.stat().st_size)
            (projectors if info.architecture == "clip" else models).append(layer)
        if not models:
            raise BadRequest("no model GGUF among the files (only projectors)")
        yield _status("parsing GGUF")
        for layer in models + projectors:
            yield _status(f"using existing layer {layer.digest}")
        builder.set("model", models[:1])
        builder.set("projector", [Layer(MEDIA["projector"], p.digest, p.size) for p in projectors])
        return
    if "config.json" not in paths or not any(f.endswith(".safetensors") for f in paths):
        raise BadRequest("files must contain a GGUF file or a safetensors model (config.json + *.safetensors)")
    with _scratch(store, "pollama-convert-") as tmp:
        for fname, path in paths.items():
            link = tmp / fname
            with disk_op("symlink", link):
                link.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(path, link)
        async for status in _convert_dir(builder, tmp):
            yield status


async def _convert_dir(builder: _Builder, src: Path) -> AsyncIterator[dict[str, Any]]:
    yield _status("converting model")
    with _scratch(builder.store, "pollama-gguf-") as tmp:
        out = tmp / "model.gguf"
        try:
            with disk_op("write", out):
                await asyncio.to_thread(convert_safetensors, src, out)
        except ConvertError as e:
            raise BadRequest(str(e)) from None
        layer = await asyncio.to_thread(builder.add_file, "model", out)
    builder.set("model", [layer])
    yield _status(f"creating new layer {layer.digest}")


def _check_quantize(store: Store, req: CreateRequest, qtype: str) -> None:
    """Before anything is written: the type is known and the source is F16/F32/BF16."""
    if qtype.lower() not in QUANT_TYPES:
        raise BadRequest(f"unsupported quantization type {qtype}")
    source: Path | None = None
    if req.files:
        ggufs = [d for f, d in req.files.items() if f.endswith(".gguf")]
        source = store.blob_path(check_digest(ggufs[0])) if ggufs else None  # safetensors convert to F16
    elif req.from_ and os.path.isabs(req.from_):
        source = Path(req.from_) if Path(req.from_).is_file() else None
    elif req.from_:
        try:
            source = load_model(store, parse_name(req.from_)).model_path
        except ModelNotFound:
            return  # reported as a missing model later
    if source is not None and source.is_file():
        try:
            current = read_gguf(source).file_type
        except GGUFError:
            return  # reported as an invalid GGUF later
        if current not in SOURCE_TYPES:
            raise BadRequest(f"quantization is only supported for F16 and F32 models, not {current}")


async def _quantize(store: Store, builder: _Builder, qtype: str) -> AsyncIterator[dict[str, Any]]:
    layer = builder.layers["model"][0]
    src = store.blob_path(layer.digest)
    current = read_gguf(src).file_type
    yield _status(f"quantizing {current} model to {qtype.upper()}", digest="0", total=layer.size, completed=0)
    with _scratch(store, "pollama-quant-") as tmp:
        out = tmp / "q.gguf"
        try:
            with disk_op("write", out):
                await quantize(src, out, qtype)
        except QuantizeError as e:
            raise BadRequest(str(e)) from None
        yield _status(f"quantizing {current} model to {qtype.upper()}", digest="0", total=layer.size,
                      completed=layer.size)
        yield _status("verifying conversion")
        _validate_gguf(out)
        new = await asyncio.to_thread(builder.add_file, "model", out)
    builder.set("model", [new])
    yield _status(f"creating new layer {new.digest}")


def _check_builtins(req: CreateRequest) -> dict[str, str | None]:
    """RENDERER / PARSER: names of Ollama's built-in renderers and parsers (an unknown one is a 400)."""
    for kind, value, known in (("renderer", req.renderer, renderer_for), ("parser", req.parser, parser_for)):
        if value and known(value) is None:
            raise BadRequest(f"unknown {kind} {json.dumps(value)}")
    return {"renderer": req.renderer or None, "parser": req.parser or None}


def _write_config(store: Store, builder: _Builder, base: Model | None,
                  inherited: dict[str, str | None]) -> Layer:
    """The config blob; `inherited` values (requires, renderer, parser) fall back to the base model's."""
    model_layer = builder.layers["model"][0]
    info = read_gguf(store.blob_path(model_layer.digest))
    arch = info.architecture
    config: dict[str, Any] = {
        "model_format": "gguf",
        "model_family": arch,
        "model_families": [arch],
        "model_type": human_number(info.parameter_count),
        "file_type": info.file_type,
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in builder.ordered()]},
    }
    if base is not None and base.config.get("parent_model"):
        config["parent_model"] = base.config["parent_model"]
    for key, value in inherited.items():
        value = value or (base.config.get(key) if base is not None else None)
        if value:
            config[key] = value
    data = json.dumps(config, separators=(",", ":")).encode()
    digest, size = store.write_blob_bytes(data, builder.hold)
    return Layer(CONFIG_MEDIA_TYPE, digest, size)

