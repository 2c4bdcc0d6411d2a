"""Tokenizer conversion: pre-tokenizer names, SentencePiece (protobuf and byte-fallback BPE), specials, templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import llama_cpp
import pytest
from convhelp import byte_level_alphabet, random_llama, sentencepiece_model

from pollama.convert import convert_safetensors
from pollama.convert.tokenizer import detect_pre_tokenizer, load_causal_vocab, parse_sentencepiece
from pollama.gguf import read_gguf

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")


def _split(regex: str) -> dict[str, Any]:
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}


BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}


@pytest.mark.parametrize(
    ("pre", "name"),
    [
        ({"type": "Sequence", "pretokenizers": [_split(LLAMA3), {**BYTE_LEVEL, "use_regex": False}]}, "llama-bpe"),
        ({"type": "Sequence", "pretokenizers": [_split(QWEN2), {**BYTE_LEVEL, "use_regex": False}]}, "qwen2"),
        (BYTE_LEVEL, "gpt-2"),
        ({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, BYTE_LEVEL]},
         "smollm"),
        ({"type": "Sequence", "pretokenizers": [_split(r"\d+"), BYTE_LEVEL]}, "default"),
        (None, "default"),
    ],
)
def test_pre_tokenizer_names(pre: dict[str, Any] | None, name: str) -> None:
    assert detect_pre_tokenizer({"pre_tokenizer": pre}) == name


# ----------------------------------------------------------------------------- SentencePiece vocabularies

WORDS = ["hello", "world"]


def _spm_pieces() -> list[tuple[str, float, int]]:
    pieces = [("<unk>", 0.0, 2), ("<s>", 0.0, 3), ("</s>", 0.0, 3)]
    pieces += [(f"<0x{b:02X}>", 0.0, 6) for b in range(256)]
    score = 0.0
    for word in WORDS:  # "▁h", "▁he", ... "▁hello": every prefix merges one more character
        for n in range(1, len(word) + 1):
            score -= 1
            pieces.append(("\u2581" + word[:n], score, 1))
    pieces += [(c, -100.0, 1) for c in "\u2581helowrd"]
    return pieces


def _spm_dir(tmp_path: Path, n_vocab: int) -> None:
    random_llama(tmp_path, n_vocab, hidden=32, n_head=2, n_kv=1, ffn=32, n_layer=1, bos_token_id=1,
                 eos_token_id=2)
    tc = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": True,
          "add_eos_token": False}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(tc))


def _expected_ids(pieces: list[tuple[str, float, int]]) -> list[int]:
    index = {p[0]: i for i, p in enumerate(pieces)}
    # "hello world é": words merge fully; "▁é" is unknown -> "▁" then the UTF-8 bytes of é
    return [1, index["\u2581hello"], index["\u2581world"], index["\u2581"], index["<0xC3>"], index["<0xA9>"]]


def _tokenize(path: Path, text: str) -> list[int]:
    m = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
    try:
        return m.tokenize(text.encode(), add_bos=True)
    finally:
        m.close()


def test_sentencepiece_model_file(tmp_path: Path) -> None:
    pieces = _spm_pieces()
    blob = sentencepiece_model(pieces)
    parsed, add_prefix, model_type = parse_sentencepiece(blob)
    assert parsed == pieces and add_prefix is True and model_type == 2
    (tmp_path / "tokenizer.model").write_bytes(blob)
    _spm_dir(tmp_path, len(pieces) + 3)  # embedding rows beyond the vocabulary become [PADn]
    out = tmp_path / "m.gguf"
    convert_safetensors(tmp_path, out)
    kv = read_gguf(out, arrays=True, tensors=False).kv
    assert kv["tokenizer.ggml.model"] == "llama" and kv["tokenizer.ggml.add_space_prefix"] is True
    assert kv["tokenizer.ggml.tokens"][-1] == f"[PAD{len(pieces) + 2}]" and kv["tokenizer.ggml.token_type"][-1] == 5
    assert kv["tokenizer.ggml.scores"][: len(pieces)] == pytest.approx([p[1] for p in pieces])
    assert (kv["tokenizer.ggml.bos_token_id"], kv["tokenizer.ggml.eos_token_id"]) == (1, 2)
    assert kv["tokenizer.ggml.add_bos_token"] is True and kv["tokenizer.ggml.add_eos_token"] is False
    assert _tokenize(out, "hello world é") == _expected_ids(pieces)


def test_byte_fallback_bpe_json_becomes_llama_vocab(tmp_path: Path) -> None:
    """A SentencePiece model exported as tokenizer.json (BPE + byte_fallback), no tokenizer.model."""
    pieces = _spm_pieces()
    merges = [["\u2581" + w[: n - 1] if n > 1 else "\u2581", w[n - 1]] for w in WORDS for n in range(1, len(w) + 1)]
    tj = {
        "added_tokens": [{"id": i, "content": p[0], "special": True} for i, p in enumerate(pieces[:3])],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "},
                                                     "content": "\u2581"}]},
        "pre_tokenizer": None,
        "decoder": {"type": "Sequence", "decoders": []},
        "model": {"type": "BPE", "byte_fallback": True, "unk_token": "<unk>", "fuse_unk": True,
                  "vocab": {p[0]: i for i, p in enumerate(pieces)}, "merges": merges},
    }
    (tmp_path / "tokenizer.json").write_text(json.dumps(tj))
    _spm_dir(tmp_path, len(pieces))
    out = tmp_path / "m.gguf"
    convert_safetensors(tmp_path, out)
    kv = read_gguf(out, arrays=True, tensors=False).kv
    types = kv["tokenizer.ggml.token_type"]
    assert kv["tokenizer.ggml.model"] == "llama"
    assert types[0] == 2 and types[1] == types[2] == 3 and types[3] == 6  # unknown, control, byte
    assert _tokenize(out, "hello world é") == _expected_ids(pieces)


# ----------------------------------------------------------------------------- byte-level BPE details


def _bpe_dir(tmp_path: Path, **tokenizer_config: Any) -> tuple[Path, dict[str, Any]]:
    alphabet = byte_level_alphabet()
    vocab = {c: i for i, c in enumerate(alphabet)}
    merges = [["Ġ", "h"], ["Ġh", "i"]]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    specials = ["<|begin_of_text|>", "<|eot_id|>"]
    added = [{"id": len(vocab) + i, "content": s, "special": True} for i, s in enumerate(specials)]
    added.append({"id": len(vocab) + 2, "content": "<tool>", "special": False})
    tj = {
        "added_tokens": added,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [_split(LLAMA3), {**BYTE_LEVEL, "use_regex": False}]},
        "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel"},
            {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                                                      {"Sequence": {"id": "A", "type_id": 0}}]}]},
        "model": {"type": "BPE", "byte_fallback": False, "ignore_merges": True, "vocab": vocab, "merges": merges},
    }
    (tmp_path / "tokenizer.json").write_text(json.dumps(tj))
    tc = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", **tokenizer_config}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(tc))
    config = {"eos_token_id": [len(vocab) + 1, 0]}
    return tmp_path, config


def test_byte_level_bpe_specials_and_post_processor(tmp_path: Path) -> None:
    src, config = _bpe_dir(tmp_path, chat_template="{{ messages }}")
    vocab = load_causal_vocab(src, config, n_vocab=262)
    assert vocab.model == "gpt2" and vocab.pre == "llama-bpe"
    assert vocab.tokens[258:261] == ["<|begin_of_text|>", "<|eot_id|>", "<tool>"]
    assert vocab.types[256:262] == [1, 1, 3, 3, 4, 5]  # merged, merged, control, control, user, [PAD261]
    assert vocab.merges == ["Ġ h", "Ġh i"]
    assert vocab.special == {"bos": 258, "eos": 259}
    assert vocab.add == {"bos": True}  # from the TemplateProcessing post-processor
    assert vocab.chat_templates == {"default": "{{ messages }}"}


def test_named_chat_templates_and_jinja_file(tmp_path: Path) -> None:
    src, config = _bpe_dir(tmp_path, add_bos_token=False, chat_template=[
        {"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}])
    vocab = load_causal_vocab(src, config, n_vocab=None)
    assert vocab.chat_templates == {"default": "A", "tool_use": "B"} and vocab.add["bos"] is False
    (src / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|eot_id|>"}))
    (src / "chat_template.jinja").write_text("{{ bos_token }}J")
    vocab = load_causal_vocab(src, {}, n_vocab=None)
    assert vocab.chat_templates == {"default": "{{ bos_token }}J"}
    assert vocab.special["eos"] == 259


def test_byte_level_bpe_end_to_end(tmp_path: Path) -> None:
    src, config = _bpe_dir(tmp_path, chat_template=[{"name": "default", "template": "A"},
                                                    {"name": "tool_use", "template": "B"}])
    random_llama(src, 262, hidden=32, n_head=2, n_kv=1, ffn=32, n_layer=1, eos_token_id=config["eos_token_id"])
    out = tmp_path / "m.gguf"
    convert_safetensors(src, out)
    kv = read_gguf(out, arrays=True, tensors=False).kv
    assert kv["tokenizer.chat_template"] == "A" and kv["tokenizer.chat_template.tool_use"] == "B"
    assert kv["tokenizer.chat_templates"] == ["tool_use"]
    assert kv["tokenizer.ggml.add_bos_token"] is True
    m = llama_cpp.Llama(str(out), vocab_only=True, verbose=False)
    try:
        assert m.tokenize(b"hi hi<|eot_id|>", add_bos=True, special=True) == [258, 104, 105, 257, 259]
        assert m.detokenize([104, 105, 257]) == b"hi hi"
    finally:
        m.close()
