"""Ollama's options schema: Modelfile text values, JSON request options, defaults and layering."""

from __future__ import annotations

import logging

import pytest

from pollama.api.options import (
    DEFAULT_OPTIONS,
    DEPRECATED_OPTIONS,
    OPTION_TYPES,
    RUNNER_OPTIONS,
    OptionsError,
    default_options,
    merge_options,
    params_from_pairs,
    parse_parameter,
    validate_options,
)

INTS = ["num_ctx", "num_batch", "num_gpu", "main_gpu", "num_thread", "num_keep", "seed", "num_predict",
        "top_k", "repeat_last_n", "draft_max", "draft_min"]
FLOATS = ["top_p", "min_p", "typical_p", "temperature", "repeat_penalty", "presence_penalty",
          "frequency_penalty", "draft_p_min"]


def test_schema_names_and_types() -> None:
    assert {k for k, t in OPTION_TYPES.items() if t is int} == set(INTS)
    assert {k for k, t in OPTION_TYPES.items() if t is float} == set(FLOATS)
    assert OPTION_TYPES["use_mmap"] is bool and OPTION_TYPES["stop"] is list and OPTION_TYPES["speculative"] is str
    assert RUNNER_OPTIONS == {"num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread"}
    assert not DEPRECATED_OPTIONS & OPTION_TYPES.keys()
    assert {"mirostat", "tfs_z", "numa", "use_mlock", "penalize_newline"} <= DEPRECATED_OPTIONS


def test_defaults_are_ollamas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_CONTEXT_LENGTH", "8192")  # read once into Settings, never here
    d = default_options()
    assert d == {
        "num_ctx": None, "num_batch": 512, "num_gpu": -1, "main_gpu": 0, "use_mmap": None, "num_thread": 0,
        "num_keep": 4, "seed": -1, "num_predict": -1, "top_k": 40, "top_p": 0.9, "min_p": 0.0,
        "typical_p": 1.0, "repeat_last_n": 64, "temperature": 0.8, "repeat_penalty": 1.1,
        "presence_penalty": 0.0, "frequency_penalty": 0.0, "stop": [],
        "speculative": None, "draft_max": 16, "draft_min": 0, "draft_p_min": 0.75,  # pollama's (llama-server's)
    }
    assert set(DEFAULT_OPTIONS) == set(OPTION_TYPES) and DEFAULT_OPTIONS == d


@pytest.mark.parametrize("name", INTS)
def test_parse_int_parameters(name: str) -> None:
    assert parse_parameter(name, "1") == (name, 1)
    assert parse_parameter(name, "-1") == (name, -1)
    assert parse_parameter(name, "+42") == (name, 42)
    value = parse_parameter(name, "4096")[1]
    assert value == 4096 and type(value) is int


@pytest.mark.parametrize("text", ["4096.0", "abc", "", "1_000", "0x10", "1e3", str(2**63), "١٢"])
def test_parse_int_rejects_what_go_parseint_rejects(text: str) -> None:
    with pytest.raises(OptionsError) as e:
        parse_parameter("num_ctx", text)
    assert str(e.value) == f"invalid int value [{text}] for parameter 'num_ctx'"


def test_parse_int_edges() -> None:
    assert parse_parameter("seed", str(2**63 - 1))[1] == 2**63 - 1
    assert parse_parameter("seed", str(-(2**63)))[1] == -(2**63)


@pytest.mark.parametrize("name", FLOATS)
def test_parse_float_parameters(name: str) -> None:
    assert parse_parameter(name, "0.7") == (name, 0.7)
    assert parse_parameter(name, "1") == (name, 1.0)
    assert type(parse_parameter(name, "1")[1]) is float


@pytest.mark.parametrize(("text", "value"), [
    (".5", 0.5), ("5.", 5.0), ("1e-3", 0.001), ("-2.5E+2", -250.0), ("1_000.5", 1000.5),
    ("0x1p-2", 0.25), ("0X1.8P1", 3.0), ("0.123456789", 0.12345679), ("1.1", 1.1), ("3.4028235e38", 3.4028235e38),
])
def test_parse_float_forms_and_float32_rounding(text: str, value: float) -> None:
    assert parse_parameter("temperature", text)[1] == value


@pytest.mark.parametrize("text", ["abc", "", "inf", "NaN", "1e39", "0x1.8", "1__0", "_1", "1.2.3", "0.7 "])
def test_parse_float_rejects(text: str) -> None:
    with pytest.raises(OptionsError, match=r"^invalid float value \[.*\] for parameter 'top_p'$"):
        parse_parameter("top_p", text)


def test_parse_bool_accepts_go_forms() -> None:
    for text in ["1", "t", "T", "TRUE", "true", "True"]:
        assert parse_parameter("use_mmap", text) == ("use_mmap", True)
    for text in ["0", "f", "F", "FALSE", "false", "False"]:
        assert parse_parameter("use_mmap", text) == ("use_mmap", False)
    with pytest.raises(OptionsError, match=r"invalid bool value \[yes\] for parameter 'use_mmap'"):
        parse_parameter("use_mmap", "yes")


def test_parse_stop_keeps_its_string() -> None:
    assert parse_parameter("stop", "<|im_end|>") == ("stop", "<|im_end|>")
    assert parse_parameter("stop", "  spaced \n") == ("stop", "  spaced \n")


def test_parse_unknown_parameter_uses_ollamas_wording() -> None:
    with pytest.raises(OptionsError) as e:
        parse_parameter("num_gqa", "1")
    assert str(e.value) == "unknown parameter 'num_gqa'"
    with pytest.raises(OptionsError, match="unknown parameter 'Temperature'"):
        parse_parameter("Temperature", "1")  # names are case-sensitive, as in Ollama


def test_parse_deprecated_parameter_warns_and_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pollama"):
        assert parse_parameter("mirostat", "not even a number") == ("mirostat", None)
    assert "parameter mirostat is deprecated" in caplog.text


def test_parse_list_values_like_repl_set_parameter() -> None:
    assert parse_parameter("stop", ["a", "b"]) == ("stop", ["a", "b"])
    assert parse_parameter("temperature", ["0.5", "ignored"]) == ("temperature", 0.5)
    with pytest.raises(OptionsError, match="missing value"):
        parse_parameter("temperature", [])


def test_params_from_pairs(caplog: pytest.LogCaptureFixture) -> None:
    pairs = [("temperature", "0.5"), ("stop", "a"), ("num_ctx", "1024"), ("stop", "b"),
             ("temperature", "0.25"), ("mirostat", "1"), ("use_mmap", "false")]
    with caplog.at_level(logging.WARNING, logger="pollama"):
        params = params_from_pairs(pairs)
    assert params == {"temperature": 0.25, "stop": ["a", "b"], "num_ctx": 1024, "use_mmap": False}
    assert "mirostat" in caplog.text
    assert params_from_pairs([]) == {}
    with pytest.raises(OptionsError, match="unknown parameter 'bogus'"):
        params_from_pairs([("bogus", "1")])


def test_validate_options_types() -> None:
    opts = {"temperature": 0, "top_p": 0.5, "num_ctx": 2048.0, "seed": 7, "use_mmap": False,
            "stop": ["x", "y"], "num_predict": -1}
    out = validate_options(opts)
    assert out == {"temperature": 0.0, "top_p": 0.5, "num_ctx": 2048, "seed": 7, "use_mmap": False,
                   "stop": ["x", "y"], "num_predict": -1}
    assert type(out["num_ctx"]) is int and type(out["temperature"]) is float
    assert validate_options({"stop": "###"}) == {"stop": ["###"]}
    assert validate_options({"num_keep": 2.7}) == {"num_keep": 2}  # Go's int64(float64) truncation
    assert validate_options({"temperature": None, "stop": None}) == {}
    assert validate_options({}) == {} and validate_options(None) == {}
    assert validate_options({"temperature": 0.123456789}) == {"temperature": 0.12345679}


@pytest.mark.parametrize(("opts", "message"), [
    ({"temperature": "0.7"}, 'option "temperature" must be of type float32'),
    ({"temperature": True}, 'option "temperature" must be of type float32'),
    ({"num_ctx": "4096"}, 'option "num_ctx" must be of type integer'),
    ({"num_ctx": True}, 'option "num_ctx" must be of type integer'),
    ({"seed": 2**64}, 'option "seed" must be of type integer'),
    ({"seed": float("inf")}, 'option "seed" must be of type integer'),
    ({"use_mmap": 1}, 'option "use_mmap" must be of type boolean'),
    ({"stop": 5}, 'option "stop" must be of type array'),
    ({"stop": ["ok", 5]}, 'option "stop" must be of an array of strings'),
    ({"top_k": [1]}, 'option "top_k" must be of type integer'),
    ({"top_p": 1e39}, 'option "top_p" is out of range for float32'),
    ({"top_p": float("nan")}, 'option "top_p" is out of range for float32'),
])
def test_validate_options_type_errors(opts: dict, message: str) -> None:
    with pytest.raises(OptionsError) as e:
        validate_options(opts)
    assert str(e.value) == message


def test_validate_options_ignores_unknown_and_deprecated_with_a_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pollama"):
        out = validate_options({"bogus": 1, "mirostat": 2, "tfs_z": 1.0, "temperature": 0.1})
    assert out == {"temperature": 0.1}
    assert "invalid option provided option=bogus" in caplog.text
    assert "mirostat" in caplog.text and "tfs_z" in caplog.text


def test_validate_options_rejects_non_objects() -> None:
    with pytest.raises(OptionsError):
        validate_options(["temperature", 1])  # type: ignore[arg-type]


def test_merge_options_layers() -> None:
    model = {"temperature": 0.2, "stop": ["<|im_end|>", "User:"], "num_ctx": 8192, "mirostat": 1}
    request = {"temperature": 0.9, "stop": ["END"], "seed": 3, "unknown": True}
    merged = merge_options(model, None, request)
    assert merged["temperature"] == 0.9  # request beats model
    assert merged["stop"] == ["END"]  # replaced, not appended
    assert merged["num_ctx"] == 8192  # model beats default
    assert merged["seed"] == 3 and merged["top_k"] == 40
    assert set(merged) == set(OPTION_TYPES)
    assert merge_options()["num_ctx"] is None  # the server's context length (tests/server/test_settings_api.py)
    merged["stop"].append("mutated")
    assert DEFAULT_OPTIONS["stop"] == [] and merge_options()["stop"] == []


def test_merge_options_raises_on_bad_layer() -> None:
    with pytest.raises(OptionsError, match='option "top_k" must be of type integer'):
        merge_options({"top_k": "forty"})


def test_speculative_is_a_choice_in_json_and_in_modelfiles() -> None:
    assert validate_options({"speculative": "ngram"}) == {"speculative": "ngram"}
    assert params_from_pairs([("speculative", "draft"), ("draft_max", "8")]) == {"speculative": "draft", "draft_max": 8}
    for bad in ("fast", 3):
        with pytest.raises(OptionsError, match="speculative"):
            validate_options({"speculative": bad})
    with pytest.raises(OptionsError, match="must be one of off, ngram, draft"):
        parse_parameter("speculative", "on")
