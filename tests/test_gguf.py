from pathlib import Path

import pytest

from pollama.gguf import GGUFError, file_type_name, human_number, read_gguf


def test_smollm2_metadata(smollm2: Path) -> None:
    info = read_gguf(smollm2)
    assert info.architecture == "llama"
    assert human_number(info.parameter_count) == "134.52M"
    assert info.file_type == "Q4_1"
    assert info.context_length == 8192
    assert info.embedding_length == 576
    assert "im_start" in (info.chat_template or "")
    assert not info.is_embedding_model
    shown = info.model_info()
    assert shown["tokenizer.ggml.tokens"] == [] and shown["general.parameter_count"] == 134515008
    full = read_gguf(smollm2, arrays=True).model_info(verbose=True)
    assert len(full["tokenizer.ggml.tokens"]) == 49152


@pytest.mark.parametrize("n,text", [(134515008, "134.52M"), (8030261248, "8.0B"), (3212749888, "3.2B"),
                                    (7000000000, "7B"), (22000000, "22M"), (999, "999"), (2500, "2K"),
                                    (1_500_000_000_000, "1.5T")])
def test_human_number(n: int, text: str) -> None:
    assert human_number(n) == text


def test_file_type_names() -> None:
    assert [file_type_name(i) for i in (0, 1, 2, 3, 7, 15)] == ["F32", "F16", "Q4_0", "Q4_1", "Q8_0", "Q4_K_M"]


def test_rejects_non_gguf(tmp_path: Path, smollm2: Path) -> None:
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"NOTAGGUF" * 10)
    with pytest.raises(GGUFError):
        read_gguf(bad)
    truncated = tmp_path / "t.gguf"
    truncated.write_bytes(smollm2.read_bytes()[:5000])
    with pytest.raises(GGUFError):
        read_gguf(truncated)


def test_tiny_generated_models(tmp_path: Path) -> None:
    from fixtures.tiny_gguf import make_tiny_bert, make_tiny_llama

    llama = read_gguf(make_tiny_llama(tmp_path / "l.gguf", file_type="f16", ctx=1024))
    assert (llama.architecture, llama.file_type, llama.context_length, llama.embedding_length) == \
        ("llama", "F16", 1024, 64)
    n_vocab = 49152
    per_layer = 2 * 64 + 4 * 64 * 64 + 3 * 64 * 128
    assert llama.parameter_count == 2 * n_vocab * 64 + 64 + 2 * per_layer  # counted from the tensor shapes
    assert not llama.is_embedding_model and llama.chat_template
    bert = read_gguf(make_tiny_bert(tmp_path / "b.gguf"))
    assert (bert.architecture, bert.file_type, bert.is_embedding_model) == ("bert", "F32", True)
    assert bert.chat_template is None
