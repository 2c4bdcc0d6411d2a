"""Fuzz every route the server's own /openapi.json describes (schemathesis, a bounded number of cases each,
on loopback): no answer is a 5xx, every request ends within its time limit, and the server stays up with
its fixture model intact. Pull and push are left out: they reach registries over the network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fixtures.tiny_gguf import make_tiny_llama
from hypothesis import HealthCheck, Phase, settings
from model_upload import create_from_gguf
from schemathesis.checks import not_a_server_error
from server_proc import Server

MAX_TOKENS = 8  # generation stops early: the tiny model never says end-of-text, and context shifts forever
REQUEST_TIMEOUT = 30  # seconds any one request may take
DESTRUCTIVE = {"/api/create": ("model", "name"), "/api/delete": ("model", "name"), "/api/copy": ("destination",)}
GENERATING = {"/api/generate", "/api/chat", "/v1/chat/completions", "/v1/completions", "/v1/messages"}

schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=r"^/api/(pull|push)$")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tiny = make_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny.gguf", ctx=256)
    # should a request reach for a registry all the same, it meets a closed loopback port
    offline = {name: "http://127.0.0.1:9" for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    env = {"OLLAMA_NUM_PARALLEL": "1", "OLLAMA_CONTEXT_LENGTH": "256", "NO_PROXY": "", **offline}
    with Server(tmp_path_factory.mktemp("fuzz") / "models", env) as s:
        with s.client() as http:
            create_from_gguf(http, "tiny", tiny)
        yield s


@pytest.fixture(scope="module")
def api_schema(fuzz_server: Server) -> Any:
    return schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")


def _fixture_model(value: Any) -> Any:
    """On the other routes a missing, null or string name is the fixture model's, so that requests get past
    the lookup to the code behind it (a name of a wrong type stays, and the destructive routes still fuzz
    name parsing)."""
    return "tiny" if value is None or isinstance(value, str) else value


def _throwaway(value: Any) -> Any:
    """A name that can never be the fixture model's (`tiny` becomes `fuzz-tiny`)."""
    return f"fuzz-{value}" if isinstance(value, str) else value


def _cap(mapping: dict[str, Any], key: str) -> None:
    """A token count of MAX_TOKENS, unless it holds a value of another type (which must be refused)."""
    value = mapping.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        mapping[key] = MAX_TOKENS


def _small(path: str, body: dict[str, Any]) -> None:
    """Cap the tokens a generation may produce, where the route's API takes that number."""
    if path.startswith("/v1/"):
        for key in ("max_tokens", "max_completion_tokens"):
            _cap(body, key)
        return
    if body.get("options") is None:
        body["options"] = {}
    if isinstance(body["options"], dict):
        _cap(body["options"], "num_predict")


def tame(case: Any) -> None:
    """Destructive routes act on throwaway names only; generations are short. Everything else goes as
    generated, invalid values included."""
    if not isinstance(case.body, dict):
        return
    if case.path in DESTRUCTIVE:
        for key in DESTRUCTIVE[case.path]:
            if key in case.body:
                case.body[key] = _throwaway(case.body[key])
    elif case.path.startswith(("/api/", "/v1/")):
        case.body["model"] = _fixture_model(case.body.get("model"))
    if case.path in GENERATING:
        _small(case.path, case.body)


@schema.parametrize()
@settings(max_examples=100, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case: Any, fuzz_server: Server) -> None:
    tame(case)
    response = case.call(base_url=fuzz_server.url, timeout=REQUEST_TIMEOUT)
    case.validate_response(response, checks=[not_a_server_error])


def test_server_survived_with_its_model(fuzz_server: Server) -> None:
    with fuzz_server.client(timeout=REQUEST_TIMEOUT) as http:
        assert http.get("/").status_code == 200
        assert "tiny:latest" in [m["name"] for m in http.get("/api/tags").json()["models"]]
        r = http.post("/api/generate", json={"model": "tiny", "prompt": "x", "stream": False,
                                             "options": {"num_predict": 2}})
        assert r.status_code == 200, r.text
