"""Errors that travel to clients as Ollama's `{"error": "..."}` with an HTTP status."""

from __future__ import annotations

__all__ = ["APIError", "BadRequest", "NotFound", "ModelNotFound", "ServerBusy"]


class APIError(Exception):
    status: int = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(APIError):
    status = 400


class NotFound(APIError):
    status = 404


class ModelNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"model '{name}' not found")


class ServerBusy(APIError):
    status = 503

    def __init__(self) -> None:
        super().__init__("server busy, please try again.  maximum pending requests exceeded")
