"""Ollama's single-file Qwen2.5-VL over HTTP: a tiny random qwen25vl with its windowed vision tower and patch
merger inside one GGUF, in Ollama's layout (scripts/make_tiny_vision_model.py --kind qwen25vl-single), created
from that one file and split at load time into llama.cpp's qwen2vl text GGUF and a qwen2.5vl_merger projector."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gguf
import httpx
import pytest
from server_proc import Server
from test_images_api import BLUE, GREEDY, RED
from test_single_file_vision import SCRIPT, create

from pollama.store.split import clip_name, split_model

# the 40x30 test images, resized to whole 16-pixel cells (8-pixel patches merged 2x2) and up to libmtmd's
# minimum of 8 image tokens: 4x3 cells; then <|vision_start|> and <|vision_end|> around them
IMAGE_TOKENS = 12 + 2


@pytest.fixture(scope="module")
def qwen25vl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("qwen25vl")
    subprocess.run([sys.executable, str(SCRIPT), str(out), "--kind", "qwen25vl-single"], check=True, timeout=120,
                   capture_output=True)
    return out / "qwen25vl.gguf"


@pytest.fixture(scope="module")
def http(module_server: Any, qwen25vl: Path) -> Iterator[httpx.Client]:
    s: Server = module_server({})
    with s.client() as c:
        create(c, "q25", qwen25vl)
        yield c


def answer(http: httpx.Client, images: list[str] | None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "user", "content": "What is in the picture?", **({"images": images} if images else {})}
    r = http.post("/api/chat", json={"model": "q25", "messages": [msg], "stream": False, "options": GREEDY})
    assert r.status_code == 200, r.text
    return r.json()


def test_images_reach_the_model(http: httpx.Client) -> None:
    show = http.post("/api/show", json={"model": "q25"}).json()
    assert "vision" in show["capabilities"] and show["model_info"]["general.architecture"] == "qwen25vl"
    red = answer(http, [RED])["message"]["content"]
    assert red and answer(http, [RED])["message"]["content"] == red
    assert answer(http, [BLUE])["message"]["content"] != red


def test_image_tokens_count(http: httpx.Client) -> None:
    counts = []
    for images in (None, [RED], [RED, BLUE]):
        assert http.post("/api/generate", json={"model": "q25", "keep_alive": 0}).status_code == 200
        counts.append(answer(http, images)["prompt_eval_count"])
    assert counts[1] == counts[0] + IMAGE_TOKENS
    assert counts[2] == counts[1] + IMAGE_TOKENS


def test_text_only(http: httpx.Client) -> None:
    assert answer(http, None)["message"]["content"]
    r = http.post("/api/generate", json={"model": "q25", "prompt": "Hello", "stream": False, "options": GREEDY})
    assert r.status_code == 200 and r.json()["response"]


@pytest.mark.parametrize(("ollama", "llama_cpp"), [
    ("v.patch_embd_0.weight", "v.patch_embd.weight"), ("v.patch_embd_1.weight", "v.patch_embd.weight.1"),
    ("v.merger.ln_q.weight", "v.post_ln.weight"), ("v.merger.mlp.0.bias", "mm.0.bias"),
    ("v.merger.mlp.2.weight", "mm.2.weight"), ("v.blk.31.ffn_gate.weight", "v.blk.31.ffn_gate.weight"),
    ("v.blk.0.attn_out.bias", "v.blk.0.attn_out.bias"), ("v.blk.3.ln1.weight", "v.blk.3.ln1.weight"),
    ("blk.0.attn_q.bias", None),
])
def test_tensor_names(ollama: str, llama_cpp: str | None) -> None:
    assert clip_name("qwen25vl", ollama) == llama_cpp


def test_split_keys(qwen25vl: Path, tmp_path: Path) -> None:
    model, mmproj = split_model(qwen25vl, tmp_path / "split")
    reader = gguf.GGUFReader(mmproj)
    clip = {k: f.contents() for k, f in reader.fields.items()}
    assert clip["clip.projector_type"] == "qwen2.5vl_merger" and clip["clip.use_silu"] is True
    assert clip["clip.vision.n_wa_pattern"] == 2  # full attention in block 1: windows in every other block
    assert clip["clip.vision.feed_forward_length"] == 64 and clip["clip.vision.projection_dim"] == 64
    assert clip["clip.vision.image_size"] == 560 and clip["clip.vision.spatial_merge_size"] == 2
    assert clip["clip.vision.image_mean"] == pytest.approx([0.48145466, 0.4578275, 0.40821073])
    patches = [t for t in reader.tensors if t.name.startswith("v.patch_embd.")]
    assert sorted(t.name for t in patches) == ["v.patch_embd.weight", "v.patch_embd.weight.1"]
    assert all(t.tensor_type == gguf.GGMLQuantizationType.F32 for t in patches)  # Ollama's F16, made F32
    keys = {k: f.contents() for k, f in gguf.GGUFReader(model).fields.items()}
    assert keys["general.architecture"] == "qwen2vl" and keys["qwen2vl.block_count"] == 2
    assert keys["qwen2vl.rope.dimension_sections"] == [2, 3, 3, 0]
    assert not [k for k in keys if k.startswith(("qwen25vl.", "qwen2vl.vision."))]
