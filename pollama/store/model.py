"""A model resolved from the store: its manifest, config, GGUF metadata and text layers."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pollama.gguf import GGUFInfo, read_gguf
from pollama.store.layout import Hold, Layer, Manifest, Store
from pollama.store.names import Name

__all__ = ["Model", "load_model", "gguf_info"]

_info_cache: dict[tuple[str, bool], GGUFInfo] = {}
_info_lock = threading.Lock()


def gguf_info(path: Path, key: str, *, arrays: bool = False) -> GGUFInfo:
    """GGUF header of a blob, cached by digest (blobs never change)."""
    with _info_lock:
        hit = _info_cache.get((key, arrays))
    if hit is None:
        hit = read_gguf(path, arrays=arrays)
        with _info_lock:
            if len(_info_cache) > 64:
                _info_cache.clear()
            _info_cache[(key, arrays)] = hit
    return hit


@dataclass
class Model:
    """A model as stored. Change a field with `dataclasses.replace` (a new Model), not in place: what is
    derived from the fields (`capabilities`) is computed once per Model."""

    name: Name
    manifest: Manifest
    digest: str
    config: dict[str, Any]
    modified_at: dt.datetime
    model_path: Path | None = None
    model_digest: str | None = None
    adapters: list[Path] = field(default_factory=list)
    projectors: list[Path] = field(default_factory=list)
    draft_path: Path | None = None  # the DRAFT model's GGUF, for speculative decoding
    template: str | None = None
    system: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    license: list[str] = field(default_factory=list)

    def info(self, *, arrays: bool = False) -> GGUFInfo | None:
        if self.model_path is None or self.model_digest is None:
            return None
        return gguf_info(self.model_path, self.model_digest, arrays=arrays)

    @property
    def chat_template(self) -> str | None:
        info = self.info()
        return info.chat_template if info else None

    @property
    def renderer(self) -> str:
        """The built-in renderer that builds this model's prompts instead of a template ("" for none)."""
        return str(self.config.get("renderer") or "")

    @property
    def parser(self) -> str:
        """The built-in parser that splits this model's output ("" for none)."""
        return str(self.config.get("parser") or "")

    @functools.cached_property
    def capabilities(self) -> list[str]:
        """Ollama's capability list: completion/embedding (rerank for a reranker), vision, tools, insert,
        thinking. A model with a built-in renderer or parser takes tools and thinking from its parser, not from
        a template."""
        info = self.info()
        caps: list[str] = []
        if info is not None and info.is_rerank_model:
            caps.append("rerank")
        elif info is not None and info.is_embedding_model:
            caps.append("embedding")
        else:
            caps.append("completion")
            caps.extend(sorted(self._prompt_capabilities()))
        if self.projectors or (info is not None and info.arch_key("vision.block_count") is not None):
            caps.append("vision")
        return caps

    def _prompt_capabilities(self) -> set[str]:
        if self.renderer or self.parser:
            from pollama.prompt.parsers import parser_for  # deferred: it imports every parser

            parser = parser_for(self.parser) if self.parser else None
            caps = {name for name, has in (("tools", parser and parser.has_tool_support),
                                           ("thinking", parser and parser.has_thinking_support)) if has}
        else:
            from pollama.prompt.render import template_capabilities  # deferred: the template engine is heavy

            caps = set(template_capabilities(self.template, self.chat_template))
        if self.config.get("model_family") in ("gptoss", "gpt-oss"):
            caps.add("thinking")  # Ollama's modelFamilyCapabilities
        return caps

    def details(self) -> dict[str, Any]:
        families = self.config.get("model_families") or (
            [self.config["model_family"]] if self.config.get("model_family") else None
        )
        return {
            "parent_model": self.config.get("parent_model", ""),
            "format": self.config.get("model_format", "gguf"),
            "family": self.config.get("model_family", ""),
            "families": families,
            "parameter_size": self.config.get("model_type", ""),
            "quantization_level": self.config.get("file_type", ""),
        }


def _text(store: Store, digest: str) -> str:
    return store.blob_path(digest).read_text(encoding="utf-8")


def load_model(store: Store, name: Name, hold: Hold | None = None) -> Model:
    """Resolve a name, as one consistent version of it; raises ModelNotFound (404). With `hold`, its
    blobs stay in the store until the hold ends, whatever is deleted meanwhile."""
    with store.lock:
        raw, mtime = store.read_manifest_bytes(name)
        manifest = Manifest.from_bytes(raw)
        if hold is not None:
            store.pin(hold, manifest.digests())
        try:
            config = store.read_json_blob(manifest.config.digest)
        except (FileNotFoundError, json.JSONDecodeError):
            config = {}
        model = Model(
            name=name,
            manifest=manifest,
            digest="sha256:" + hashlib.sha256(raw).hexdigest(),
            config=config if isinstance(config, dict) else {},
            modified_at=dt.datetime.fromtimestamp(mtime).astimezone(),
        )
        for layer in manifest.layers:
            _add_layer(store, model, layer)
    return model


def _add_layer(store: Store, model: Model, layer: Layer) -> None:
    kind = layer.media_type.rsplit(".", 1)[-1]
    if kind == "model":
        model.model_path = store.blob_path(layer.digest)
        model.model_digest = layer.digest
    elif kind == "adapter":
        model.adapters.append(store.blob_path(layer.digest))
    elif kind == "projector":
        model.projectors.append(store.blob_path(layer.digest))
    elif kind == "draft":
        model.draft_path = store.blob_path(layer.digest)
    elif kind == "template":
        model.template = _text(store, layer.digest)
    elif kind == "system":
        model.system = _text(store, layer.digest)
    elif kind == "license":
        model.license.append(_text(store, layer.digest))
    elif kind == "params":
        params = store.read_json_blob(layer.digest)
        model.params = params if isinstance(params, dict) else {}
    elif kind == "messages":
        messages = store.read_json_blob(layer.digest)
        model.messages = messages if isinstance(messages, list) else []
