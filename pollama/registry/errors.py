"""The one error type of the registry client; the pull/push routes turn it into `{"error": ...}`."""

from __future__ import annotations

from pollama.api.errors import APIError

__all__ = ["RegistryError", "Transient", "TRANSIENT_STATUS", "MANIFEST_NOT_FOUND", "DIGEST_MISMATCH"]

MANIFEST_NOT_FOUND = "pull model manifest: file does not exist"
DIGEST_MISMATCH = "digest mismatch, file must be downloaded again"


TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})  # answers worth retrying after a pause


class Transient(Exception):
    """A failure of one request worth retrying (dropped connection, short body, 5xx); stays internal."""


class RegistryError(APIError):
    """A failed pull or push; `.status` is HTTP-like (401 unauthorized, 404 not found, 400, 500)."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message, status)
