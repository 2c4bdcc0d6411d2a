import pytest

from pollama.api.errors import BadRequest
from pollama.store.names import parse_name


def test_defaults_match_ollama() -> None:
    full = parse_name("registry.ollama.ai/library/mistral:latest")
    assert parse_name("mistral") == full
    assert parse_name("mistral:latest") == full
    assert full.display == "mistral:latest"
    assert str(full) == "registry.ollama.ai/library/mistral:latest"


def test_namespace_and_host_forms() -> None:
    n = parse_name("jmorgan/llava:7b")
    assert (n.host, n.namespace, n.model, n.tag) == ("registry.ollama.ai", "jmorgan", "llava", "7b")
    assert n.display == "jmorgan/llava:7b"
    h = parse_name("localhost:5000/team/model")
    assert (h.host, h.namespace, h.model, h.tag) == ("localhost:5000", "team", "model", "latest")
    assert h.display == "localhost:5000/team/model:latest"
    assert parse_name("https://example.com/a/b:c").host == "example.com"


def test_ollamas_character_rules() -> None:
    n = parse_name("_ns/_model.v2-x:_tag.1")
    assert (n.namespace, n.model, n.tag) == ("_ns", "_model.v2-x", "_tag.1")
    assert parse_name("a" * 80 + ":" + "t" * 80).model == "a" * 80
    for bad in ("ns.x/model", "model:ta/g", "mo$del", "name:tag!", ".hidden", "-x:y"):
        with pytest.raises(BadRequest):
            parse_name(bad)


def test_case_insensitive_identity() -> None:
    assert parse_name("Mistral:Latest").key() == parse_name("mistral").key()


@pytest.mark.parametrize("bad", ["", " ", "../x", "a/../b", "a//b", "a:", ":x", "a/b/c/d", "a b", "x" * 81,
                                 "a:" + "t" * 81, "-abc", "a/b:c:d/e", "..", "a/.."])
def test_invalid_names_are_400(bad: str) -> None:
    with pytest.raises(BadRequest) as e:
        parse_name(bad)
    assert e.value.status == 400
