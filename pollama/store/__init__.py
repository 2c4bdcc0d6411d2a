"""The model store, byte-compatible with Ollama's `~/.ollama/models`."""

from pollama.store.layout import (
    CONFIG_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    MEDIA,
    DigestMismatch,
    Hold,
    Layer,
    Manifest,
    Store,
    StoreError,
    check_digest,
    disk_op,
)
from pollama.store.model import Model, load_model
from pollama.store.names import Name, parse_name

__all__ = [
    "CONFIG_MEDIA_TYPE", "MANIFEST_MEDIA_TYPE", "MEDIA", "DigestMismatch", "Hold", "Layer", "Manifest", "Store",
    "StoreError", "check_digest", "disk_op", "Model", "load_model", "Name", "parse_name",
]
