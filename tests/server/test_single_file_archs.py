"""Ollama's single-file vision models beyond gemma3 over HTTP: tiny random Qwen2.5-VL (windowed ViT, 2x2 patch
merger), mistral3 (pixtral tower, patch merger), llama4 (mixture-of-experts text model, ViT with pixel
shuffle) and Qwen3-VL (deepstack) with their vision towers inside one GGUF, in Ollama's layout (scripts/make_tiny_vision_model.py
--kind <arch>-single), each created from that one file and split at load time into the text GGUF and the CLIP
projector llama.cpp loads."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gguf
import httpx
import numpy as np
import pytest
from server_proc import Server
from test_images_api import BLUE, GREEDY, RED
from test_single_file_vision import SCRIPT, create, rewrite

from pollama.store.split import clip_name, split_model

ARCHS = ("qwen25vl", "mistral3", "llama4", "qwen3vl", "qwen3vlmoe")
# the image tokens of a 40x30 test image, then the markers around them:
# qwen25vl: resized to whole 16-pixel cells (8-pixel patches merged 2x2), at least libmtmd's 8 tokens: 4x3
#           cells; <|vision_start|> and <|vision_end|>
# mistral3: 8-pixel cells (4-pixel patches merged 2x2): 5x4, an [IMG_BREAK] after each row but the last;
#           [IMG_END]
# qwen3vl, qwen3vlmoe: as qwen25vl
# llama4:   two 32-pixel tiles and the overview, each 8x8 patches pixel-shuffled 2x2 to 16 tokens;
#           <|image_start|> and <|image_end|>
IMAGE_TOKENS = {"qwen25vl": 12 + 2, "mistral3": 20 + 3 + 1, "llama4": 3 * 16 + 2, "qwen3vl": 12 + 2, "qwen3vlmoe": 12 + 2}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("single")
    for arch in ARCHS:
        subprocess.run([sys.executable, str(SCRIPT), str(out), "--kind", f"{arch}-single"], check=True, timeout=120,
                       capture_output=True)
    return {arch: out / f"{arch}.gguf" for arch in ARCHS}


@pytest.fixture(scope="module")
def http(module_server: Any, files: dict[str, Path]) -> Iterator[httpx.Client]:
    s: Server = module_server({})
    with s.client() as c:
        for arch, path in files.items():
            create(c, arch, path)
        yield c


def answer(http: httpx.Client, arch: str, images: list[str] | None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "user", "content": "What is in the picture?", **({"images": images} if images else {})}
    r = http.post("/api/chat", json={"model": arch, "messages": [msg], "stream": False, "options": GREEDY})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("arch", ARCHS)
def test_images_reach_the_model(http: httpx.Client, arch: str) -> None:
    show = http.post("/api/show", json={"model": arch}).json()
    assert "vision" in show["capabilities"] and show["model_info"]["general.architecture"] == arch
    red = answer(http, arch, [RED])["message"]["content"]
    assert red and answer(http, arch, [RED])["message"]["content"] == red
    assert answer(http, arch, [BLUE])["message"]["content"] != red


@pytest.mark.parametrize("arch", ARCHS)
def test_image_tokens_count(http: httpx.Client, arch: str) -> None:
    counts = []
    for images in (None, [RED], [RED, BLUE]):
        assert http.post("/api/generate", json={"model": arch, "keep_alive": 0}).status_code == 200
        counts.append(answer(http, arch, images)["prompt_eval_count"])
    assert [counts[1] - counts[0], counts[2] - counts[1]] == [IMAGE_TOKENS[arch]] * 2


@pytest.mark.parametrize("arch", ARCHS)
def test_text_only(http: httpx.Client, arch: str) -> None:
    assert answer(http, arch, None)["message"]["content"]
    r = http.post("/api/generate", json={"model": arch, "prompt": "Hello", "stream": False, "options": GREEDY})
    assert r.status_code == 200 and r.json()["response"]


# ---- qwen25vl --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("ollama", "llama_cpp"), [
    ("v.patch_embd_0.weight", "v.patch_embd.weight"), ("v.patch_embd_1.weight", "v.patch_embd.weight.1"),
    ("v.merger.ln_q.weight", "v.post_ln.weight"), ("v.merger.mlp.0.bias", "mm.0.bias"),
    ("v.merger.mlp.2.weight", "mm.2.weight"), ("v.blk.31.ffn_gate.weight", "v.blk.31.ffn_gate.weight"),
    ("v.blk.0.attn_out.bias", "v.blk.0.attn_out.bias"), ("v.blk.3.ln1.weight", "v.blk.3.ln1.weight"),
    ("blk.0.attn_q.bias", None),
])
def test_qwen25vl_tensor_names(ollama: str, llama_cpp: str | None) -> None:
    assert clip_name("qwen25vl", ollama) == llama_cpp


def test_qwen25vl_split_keys(files: dict[str, Path], tmp_path: Path) -> None:
    model, mmproj = split_model(files["qwen25vl"], tmp_path / "split")
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


# ---- mistral3 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("ollama", "llama_cpp"), [
    ("v.patch_conv.weight", "v.patch_embd.weight"), ("v.encoder_norm.weight", "v.pre_ln.weight"),
    ("v.blk.0.attn_output.weight", "v.blk.0.attn_out.weight"), ("v.blk.1.attn_norm.weight", "v.blk.1.ln1.weight"),
    ("v.blk.23.ffn_norm.weight", "v.blk.23.ln2.weight"), ("v.blk.2.ffn_gate.weight", "v.blk.2.ffn_gate.weight"),
    ("mm.linear_1.weight", "mm.1.weight"), ("mm.linear_2.bias", "mm.2.bias"),
    ("mm.patch_merger.merging_layer.weight", "mm.patch_merger.weight"), ("mm.norm.weight", "mm.input_norm.weight"),
    ("blk.0.attn_norm.weight", None), ("output_norm.weight", None),
])
def test_mistral3_tensor_names(ollama: str, llama_cpp: str | None) -> None:
    assert clip_name("mistral3", ollama) == llama_cpp


def test_mistral3_split(files: dict[str, Path], tmp_path: Path) -> None:
    model, mmproj = split_model(files["mistral3"], tmp_path / "split")
    reader = gguf.GGUFReader(mmproj)
    clip = {k: f.contents() for k, f in reader.fields.items()}
    assert clip["clip.projector_type"] == "pixtral" and clip["clip.use_silu"] is True
    assert clip["clip.vision.spatial_merge_size"] == 2 and clip["clip.vision.projection_dim"] == 64
    assert clip["clip.vision.attention.layer_norm_epsilon"] == pytest.approx(1e-5)
    tensors = {t.name: t for t in reader.tensors}
    assert tensors["v.patch_embd.weight"].tensor_type == gguf.GGMLQuantizationType.F32
    assert not tensors["v.token_embd.img_break"].data.any() and tensors["v.token_embd.img_break"].data.shape == (64,)
    # vision Q/K rows permuted per head (2 heads of 16): rows 0, 8, 1, 9, ... of the file's
    source = {t.name: t for t in gguf.GGUFReader(files["mistral3"]).tensors}
    order = [h * 16 + (r % 2) * 8 + r // 2 for h in range(2) for r in range(16)]
    for name in ("v.blk.0.attn_q.weight", "v.blk.1.attn_k.weight"):
        assert np.array_equal(tensors[name].data, source[name].data[order])
    assert np.array_equal(tensors["v.blk.0.attn_v.weight"].data, source["v.blk.0.attn_v.weight"].data)
    keys = {k: f.contents() for k, f in gguf.GGUFReader(model).fields.items()}
    assert keys["general.architecture"] == "mistral3"
    assert keys["mistral3.rope.scaling.yarn_beta_fast"] == 32.0 and keys["mistral3.rope.scaling.yarn_beta_slow"] == 1.0
    assert keys["mistral3.rope.scaling.yarn_log_multiplier"] == 1.0
    assert keys["mistral3.attention.temperature_scale"] == pytest.approx(0.1)
    assert not [k for k in keys if k.startswith(("mistral3.vision.", "mistral3.mm."))]


def test_mistral3_without_rope_scaling_or_pretokenizer(files: dict[str, Path], tmp_path: Path) -> None:
    """Ollama's converter writes an empty rope.scaling.type for a model without scaling (llama.cpp aborts on
    it: dropped); a `default` pre-tokenizer is Mistral's tekken, as Ollama's shim says."""
    path = rewrite(files["mistral3"], tmp_path / "plain.gguf",
                   {"mistral3.rope.scaling.type": "", "tokenizer.ggml.pre": "default"})
    model, _ = split_model(path, tmp_path / "split")
    keys = {k: f.contents() for k, f in gguf.GGUFReader(model).fields.items()}
    assert "mistral3.rope.scaling.type" not in keys and keys["tokenizer.ggml.pre"] == "tekken"


# ---- llama4 ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("ollama", "llama_cpp"), [
    ("v.patch_embedding.weight", "v.patch_embd.weight"), ("v.class_embedding", "v.class_embd"),
    ("v.positional_embedding_vlm", "v.position_embd.weight"), ("v.layernorm_pre.bias", "v.pre_ln.bias"),
    ("v.layernorm_post.weight", "v.post_ln.weight"), ("v.blk.0.attn_output.bias", "v.blk.0.attn_out.bias"),
    ("v.blk.3.attn_norm.weight", "v.blk.3.ln1.weight"), ("v.blk.3.ffn_norm.bias", "v.blk.3.ln2.bias"),
    ("v.blk.33.mlp.fc1.weight", "v.blk.33.ffn_up.weight"), ("v.blk.33.mlp.fc2.bias", "v.blk.33.ffn_down.bias"),
    ("v.vision_adapter.mlp.fc1.weight", "mm.model.mlp.1.weight"),
    ("v.vision_adapter.mlp.fc2.weight", "mm.model.mlp.2.weight"), ("mm.linear_1.weight", "mm.model.fc.weight"),
    ("blk.0.ffn_gate_exps.weight", None), ("blk.0.ffn_down_shexp.weight", None),
])
def test_llama4_tensor_names(ollama: str, llama_cpp: str | None) -> None:
    assert clip_name("llama4", ollama) == llama_cpp


def test_llama4_split(files: dict[str, Path], tmp_path: Path) -> None:
    model, mmproj = split_model(files["llama4"], tmp_path / "split")
    clip = {k: f.contents() for k, f in gguf.GGUFReader(mmproj).fields.items()}
    assert clip["clip.projector_type"] == "llama4" and clip["clip.use_gelu"] is True
    assert clip["clip.vision.projector.scale_factor"] == 2  # 1 / pixel_shuffle_ratio 0.5
    assert clip["clip.vision.attention.layer_norm_epsilon"] == pytest.approx(1e-5)
    assert clip["clip.vision.feed_forward_length"] == 128 and clip["clip.vision.projection_dim"] == 64
    text = gguf.GGUFReader(model)
    keys = {k: f.contents() for k, f in text.fields.items()}
    assert keys["general.architecture"] == "llama4" and keys["llama4.expert_count"] == 2
    assert not [k for k in keys if k.startswith(("llama4.vision.", "llama4.mm."))]
    assert not [t.name for t in text.tensors if t.name.startswith(("v.", "mm."))]


# ---- qwen3vl ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("ollama", "llama_cpp"), [
    ("v.patch_embed.bias", "v.patch_embd.bias"), ("v.pos_embed.weight", "v.position_embd.weight"),
    ("v.merger.norm.bias", "v.post_ln.bias"), ("v.merger.linear_fc1.weight", "mm.0.weight"),
    ("v.merger.linear_fc2.bias", "mm.2.bias"), ("v.blk.5.norm1.weight", "v.blk.5.ln1.weight"),
    ("v.blk.5.mlp.linear_fc2.weight", "v.blk.5.ffn_down.weight"), ("v.blk.0.attn_out.bias", "v.blk.0.attn_out.bias"),
    # written in another form (merged, split, or renamed by the deepstack indexes)
    ("v.blk.0.attn_k.weight", ""), ("v.patch_embed.weight", ""), ("v.deepstack_merger.2.linear_fc1.bias", ""),
    ("blk.0.attn_q_norm.weight", None),
])
def test_qwen3vl_tensor_names(ollama: str, llama_cpp: str | None) -> None:
    assert clip_name("qwen3vl", ollama) == llama_cpp


def test_qwen3vl_split(files: dict[str, Path], tmp_path: Path) -> None:
    model, mmproj = split_model(files["qwen3vl"], tmp_path / "split")
    reader = gguf.GGUFReader(mmproj)
    clip = {k: f.contents() for k, f in reader.fields.items()}
    assert clip["clip.projector_type"] == "qwen3vl_merger" and clip["clip.vision.image_size"] == 32  # 4x4 positions
    assert clip["clip.vision.feed_forward_length"] == 64 and clip["clip.vision.is_deepstack_layers"] == [True, False]
    assert clip["clip.vision.image_min_pixels"] == 1024 and clip["clip.vision.temporal_patch_size"] == 2
    tensors = {t.name: t for t in reader.tensors}
    source = {t.name: t for t in gguf.GGUFReader(files["qwen3vl"]).tensors}
    qkv = tensors["v.blk.1.attn_qkv.weight"]
    assert qkv.tensor_type == gguf.GGMLQuantizationType.F32 and qkv.data.shape == (96, 32)
    parts = [source[f"v.blk.1.attn_{x}.weight"].data.astype(np.float32) for x in "qkv"]
    assert np.array_equal(qkv.data, np.concatenate(parts))
    assert tensors["v.blk.1.attn_qkv.bias"].data.shape == (96,)
    kernel = source["v.patch_embed.weight"].data.astype(np.float32).reshape(32, 3, 2, 8, 8)
    assert np.array_equal(tensors["v.patch_embd.weight"].data, kernel[:, :, 0])
    assert np.array_equal(tensors["v.patch_embd.weight.1"].data, kernel[:, :, 1])
    assert np.array_equal(tensors["v.deepstack.0.fc2.weight"].data, source["v.deepstack_merger.0.linear_fc2.weight"].data)
    assert not [n for n in tensors if n.endswith(("attn_q.weight", "attn_k.weight", "attn_v.weight"))]
    keys = {k: f.contents() for k, f in gguf.GGUFReader(model).fields.items()}
    assert keys["general.architecture"] == "qwen3vl" and keys["qwen3vl.n_deepstack_layers"] == 1
    assert keys["qwen3vl.rope.dimension_sections"] == [2, 3, 3, 0]


def test_qwen3vl_without_mrope_sections(files: dict[str, Path], tmp_path: Path) -> None:
    """A file without M-RoPE sections gets Qwen3-VL's, as Ollama's shim gives them."""
    path = rewrite(files["qwen3vl"], tmp_path / "plain.gguf", {"qwen3vl.rope.mrope_section": None})
    model, _ = split_model(path, tmp_path / "split")
    keys = {k: f.contents() for k, f in gguf.GGUFReader(model).fields.items()}
    assert keys["qwen3vl.rope.dimension_sections"] == [24, 20, 20, 0]


def test_qwen3vlmoe_split(files: dict[str, Path], tmp_path: Path) -> None:
    model, mmproj = split_model(files["qwen3vlmoe"], tmp_path / "split")
    text = gguf.GGUFReader(model)
    keys = {k: f.contents() for k, f in text.fields.items()}
    assert keys["general.architecture"] == "qwen3vlmoe" and keys["qwen3vlmoe.expert_count"] == 4
    assert keys["qwen3vlmoe.rope.dimension_sections"] == [2, 3, 3, 0] and keys["qwen3vlmoe.n_deepstack_layers"] == 1
    assert "blk.1.ffn_down_exps.weight" in {t.name for t in text.tensors}
    clip = {k: f.contents() for k, f in gguf.GGUFReader(mmproj).fields.items()}
    assert clip["clip.projector_type"] == "qwen3vl_merger"
