"""Clear ConvertErrors for bad input, atomic output, and the safetensors reader."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from convhelp import bf16_bits, random_llama, write_safetensors

from pollama.convert import ConvertError, convert_safetensors, detect_architecture
from pollama.convert.safetensors import Checkpoint, open_checkpoint


def _tiny(tmp_path: Path) -> Path:
    """A complete little Llama directory with a 3-token-free byte-level vocabulary."""
    src = tmp_path / "src"
    src.mkdir()
    random_llama(src, 8, hidden=16, n_head=2, n_kv=1, ffn=16, n_layer=1)
    vocab = {c: i for i, c in enumerate("abcdefgĊ")}
    tj = {"added_tokens": [], "pre_tokenizer": None, "model": {"type": "BPE", "vocab": vocab, "merges": []}}
    (src / "tokenizer.json").write_text(json.dumps(tj))
    return src


def _raises(src: Path, dst: Path, *needles: str, **kw: str) -> None:
    with pytest.raises(ConvertError) as err:
        convert_safetensors(src, dst, **kw)
    for needle in needles:
        assert needle in str(err.value)
    assert not dst.exists()
    assert not [p for p in dst.parent.iterdir() if p.name.endswith(".tmp")]


def test_convert_error_is_a_value_error() -> None:
    assert issubclass(ConvertError, ValueError)


def test_tiny_model_converts(tmp_path: Path) -> None:
    src = _tiny(tmp_path)
    convert_safetensors(src, tmp_path / "out" / "m.gguf", out_type="f32")
    assert (tmp_path / "out" / "m.gguf").stat().st_size > 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["m.gguf"]


def test_missing_directory_and_config(tmp_path: Path) -> None:
    _raises(tmp_path / "nope", tmp_path / "m.gguf", "not a directory")
    src = _tiny(tmp_path)
    (src / "config.json").unlink()
    _raises(src, tmp_path / "m.gguf", "config.json")
    with pytest.raises(ConvertError, match="config.json"):
        detect_architecture(src)


def test_unsupported_or_missing_architecture(tmp_path: Path) -> None:
    src = _tiny(tmp_path)
    config = json.loads((src / "config.json").read_text())
    (src / "config.json").write_text(json.dumps({**config, "architectures": ["GPT2LMHeadModel"]}))
    _raises(src, tmp_path / "m.gguf", "unsupported architecture", "GPT2LMHeadModel", "LlamaForCausalLM")
    with pytest.raises(ConvertError, match="GPT2LMHeadModel"):
        detect_architecture(src)
    del config["architectures"]
    (src / "config.json").write_text(json.dumps(config))
    _raises(src, tmp_path / "m.gguf", "architectures")


def test_missing_weights_and_shards(tmp_path: Path) -> None:
    src = _tiny(tmp_path)
    (src / "model.safetensors").unlink()
    _raises(src, tmp_path / "m.gguf", "no *.safetensors")
    index = {"weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors"}}
    (src / "model.safetensors.index.json").write_text(json.dumps(index))
    _raises(src, tmp_path / "m.gguf", "model-00001-of-00002.safetensors")


def test_missing_tokenizer_and_tensors(tmp_path: Path) -> None:
    src = _tiny(tmp_path)
    (src / "tokenizer.json").unlink()
    _raises(src, tmp_path / "m.gguf", "tokenizer.json", "tokenizer.model")
    src2 = tmp_path / "src2"
    src2.mkdir()
    random_llama(src2, 8, hidden=16, n_head=2, n_kv=1, ffn=16, n_layer=1)
    config = json.loads((src2 / "config.json").read_text())
    (src2 / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 3}))
    _raises(src2, tmp_path / "m.gguf", "num_hidden_layers=3")


def test_vocab_larger_than_embedding(tmp_path: Path) -> None:
    src = _tiny(tmp_path)
    tj = json.loads((src / "tokenizer.json").read_text())
    tj["added_tokens"] = [{"id": 20, "content": "<x>", "special": True}]
    (src / "tokenizer.json").write_text(json.dumps(tj))
    _raises(src, tmp_path / "m.gguf", "21 tokens", "8 rows")


def test_bad_out_type_and_bad_safetensors(tmp_path: Path) -> None:
    src = _tiny(tmp_path)
    _raises(src, tmp_path / "m.gguf", "q4_k", out_type="q4_k")
    blob = (src / "model.safetensors").read_bytes()
    (src / "model.safetensors").write_bytes(blob[:-64])
    _raises(src, tmp_path / "m.gguf", "model.safetensors", "offsets")
    (src / "model.safetensors").write_bytes(b"\x01")
    _raises(src, tmp_path / "m.gguf", "not a safetensors file")


def test_failure_while_writing_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _tiny(tmp_path)
    dst = tmp_path / "m.gguf"
    dst.write_bytes(b"previous")
    calls = {"n": 0}
    real = Checkpoint.load

    def flaky(self: Checkpoint, name: str) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConvertError("disk on fire")
        return real(self, name)

    monkeypatch.setattr(Checkpoint, "load", flaky)
    with pytest.raises(ConvertError, match="disk on fire"):
        convert_safetensors(src, dst)
    assert dst.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gguf", "src"]
    monkeypatch.setattr(Checkpoint, "load", real)
    convert_safetensors(src, dst)  # replaces the old file
    assert dst.read_bytes()[:4] == b"GGUF"


def test_safetensors_reader_dtypes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5)).astype(np.float32)
    d = tmp_path / "st"
    d.mkdir()
    write_safetensors(d / "a.safetensors", {"f32": a, "f16": a.astype(np.float16), "ids": np.arange(4)})
    write_safetensors(d / "b.safetensors", {"bf16": a}, bf16=True)
    (d / "consolidated.safetensors").write_bytes(b"not read when HF shards exist")
    ckpt = open_checkpoint(d)
    assert sorted(ckpt.names()) == ["bf16", "f16", "f32", "ids"]
    assert np.array_equal(ckpt.load("f32"), a)
    assert np.array_equal(ckpt.load("f16"), a.astype(np.float16).astype(np.float32))
    assert np.array_equal(ckpt.load("bf16"), (bf16_bits(a).astype(np.uint32) << 16).view(np.float32))
    assert np.abs(ckpt.load("bf16") - a).max() < 1e-2
    assert ckpt.raw("ids").tolist() == [0, 1, 2, 3]
    with pytest.raises(ConvertError, match="I64"):
        ckpt.load("ids")
    shutil.copyfile(d / "a.safetensors", d / "c.safetensors")
    with pytest.raises(ConvertError, match="appears in both"):
        open_checkpoint(d)
