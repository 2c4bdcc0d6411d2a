"""/openapi.json describes each route's request body with the type that parses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, Request

from pollama.config import settings
from pollama.server.app import create_app
from pollama.server.openapi import REQUEST_BODIES, install_openapi


@pytest.fixture()
def doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path))
    return create_app(settings()).openapi()


def test_every_body_route_has_its_request_type(doc: dict) -> None:
    bodies = {(method.upper(), path): op["requestBody"]["content"]
              for path, ops in doc["paths"].items() for method, op in ops.items() if "requestBody" in op}
    assert set(bodies) == set(REQUEST_BODIES)
    assert bodies[("POST", "/api/chat")]["application/json"]["schema"] == {"$ref": "#/components/schemas/ChatRequest"}
    assert "application/octet-stream" in bodies[("POST", "/api/blobs/{digest}")]
    assert bodies[("POST", "/v1/messages")]["application/json"]["schema"] == {"type": "object"}
    create = doc["components"]["schemas"]["CreateRequest"]["properties"]
    assert "from" in create and create["messages"]["anyOf"][0]["maxItems"] == 4096  # wire names, limits


def test_operation_ids_are_unique(doc: dict) -> None:
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_a_body_route_missing_from_the_table_stops_the_build() -> None:
    app = FastAPI()

    @app.post("/api/new")
    async def new(request: Request) -> None:
        await request.body()

    with pytest.raises(KeyError, match="POST /api/new"):
        install_openapi(app)
