"""Write a tiny random vision model pair: `OUTDIR/model.gguf` (a llama text model with SmolLM2's tokenizer and
chat template) and `OUTDIR/mmproj.gguf` (a CLIP vision tower with a LLaVA "mlp" projector), laid out as
llama.cpp's mtmd/clip loader reads them (tools/mtmd/clip.cpp, clip-impl.h: `clip.*` keys, `v.*` and `mm.*`
tensors). The weights are random: the pair proves the plumbing (an image becomes 16 embeddings the text model
attends to), not vision. Create a model from both files like from a real pair:

    python3 scripts/make_tiny_vision_model.py /tmp/tv
    # upload both blobs, then POST /api/create {"model": "tiny-vision", "files": {"model.gguf": "sha256:...",
    #                                           "mmproj.gguf": "sha256:..."}}

`--kind gemma3-single` writes one file instead, `OUTDIR/gemma3.gguf`: a gemma3 with its SigLIP vision tower and
projector inside, named and keyed as Ollama's converter writes its gemma3 (convert/convert_gemma3.go), the
single-file format Ollama's library serves (16 tokens per image; SmolLM2's tokenizer plus gemma3's
`<start_of_image>` and `<end_of_image>`). Create a model from that one file.

`--kind qwen25vl-single` writes `OUTDIR/qwen25vl.gguf`: a Qwen2.5-VL (qwen2 text model, windowed ViT with a 2x2
patch merger) as Ollama's convert_qwen25vl.go writes it, `<|vision_start|>`/`<|vision_end|>` added.

`--kind mistral3-single` writes `OUTDIR/mistral3.gguf`: a Mistral Small 3.1-like mistral3 (pixtral tower, 2x2
patch merger; 4-pixel patches, so 8 pixels per image token) as Ollama's convert_mistral.go writes it.

`--kind llama4-single` writes `OUTDIR/llama4.gguf`: a llama4 (mixture-of-experts text model; ViT with a class
token, pixel shuffle 2x2, adapter MLP) as Ollama's convert_llama4.go writes it.

`--kind qwen3vl-single` writes `OUTDIR/qwen3vl.gguf`: a Qwen3-VL (qwen3 text model with deepstack inputs; ViT
with learned positions, a 2x2 merger and a deepstack merger) in the layout of Ollama's published single files;
`--kind qwen3vlmoe-single` its mixture-of-experts variant, `OUTDIR/qwen3vlmoe.gguf`.

Usage: make_tiny_vision_model.py OUTDIR [--seed N] [--kind mlp|qwen2vl|gemma3-single|qwen25vl-single|
                                                    mistral3-single|llama4-single|qwen3vl-single|
                                                    qwen3vlmoe-single]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import gguf
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fixtures.tiny_gguf import finish_gguf, make_tiny_llama, smollm2_tokenizer, tokenizer_writer  # noqa: E402

IMAGE_SIZE = 32  # pixels per side the projector resizes to
PATCH_SIZE = 8
TEXT_EMBD = 64
VISION_EMBD = 32
VISION_FF = 64
VISION_HEADS = 2
VISION_LAYERS = 2  # llava's graph runs all but the last


def _w(rng: np.random.Generator, *shape: int, std: float) -> np.ndarray:
    return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)


@dataclass(frozen=True)
class Tower:
    """A vision tower's shape: the default is the tiny one; bench/ builds a CLIP-sized one. `kind`: "mlp"
    (LLaVA: learned positions, 1 token per patch) or "qwen2vl" (Qwen2-VL's merger: rotary M-RoPE positions,
    dynamic resolution, 1 token per 2x2 patches)."""

    image_size: int = IMAGE_SIZE
    patch_size: int = PATCH_SIZE
    embd: int = VISION_EMBD
    ff: int = VISION_FF
    heads: int = VISION_HEADS
    layers: int = VISION_LAYERS
    text_embd: int = TEXT_EMBD  # the text model's n_embd: the projector's output width
    kind: str = "mlp"

    @property
    def patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


def _metadata(w: gguf.GGUFWriter, t: Tower) -> None:
    w.add_name("tiny-vision-projector")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_string("clip.projector_type", "mlp" if t.kind == "mlp" else "qwen2vl_merger")
    w.add_bool("clip.use_gelu", True)
    w.add_uint32("clip.vision.image_size", t.image_size)
    w.add_uint32("clip.vision.patch_size", t.patch_size)
    w.add_uint32("clip.vision.embedding_length", t.embd)
    w.add_uint32("clip.vision.feed_forward_length", t.ff)
    w.add_uint32("clip.vision.projection_dim", t.text_embd)
    w.add_uint32("clip.vision.attention.head_count", t.heads)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    w.add_uint32("clip.vision.block_count", t.layers)
    w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])


CLIP_BLOCK = ("attn_q", "attn_k", "attn_v", "attn_out", "ln1", "ln2", "ffn_up", "ffn_down")  # llama.cpp's names
OLLAMA_BLOCK = ("attn_q", "attn_k", "attn_v", "attn_output", "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2")


def _blocks(w: gguf.GGUFWriter, t: Tower, rng: np.random.Generator, names: tuple[str, ...] = CLIP_BLOCK) -> None:
    """The encoder blocks, their tensors named `names` (CLIP_BLOCK or OLLAMA_BLOCK)."""
    d, ff, s = t.embd, t.ff, 1.0 / np.sqrt(t.embd)
    for i in range(t.layers):
        p = f"v.blk.{i}."
        for name in names[:4]:
            w.add_tensor(p + name + ".weight", _w(rng, d, d, std=s))
            w.add_tensor(p + name + ".bias", np.zeros(d, dtype=np.float32))
        for name in names[4:6]:
            w.add_tensor(p + name + ".weight", np.ones(d, dtype=np.float32))
            w.add_tensor(p + name + ".bias", np.zeros(d, dtype=np.float32))
        w.add_tensor(p + names[6] + ".weight", _w(rng, ff, d, std=s))
        w.add_tensor(p + names[6] + ".bias", np.zeros(ff, dtype=np.float32))
        w.add_tensor(p + names[7] + ".weight", _w(rng, d, ff, std=1.0 / np.sqrt(ff)))
        w.add_tensor(p + names[7] + ".bias", np.zeros(d, dtype=np.float32))


def write_projector(path: Path, seed: int = 1, tower: Tower = Tower()) -> Path:
    """The CLIP projector GGUF (general.architecture "clip")."""
    rng = np.random.default_rng(seed)
    t, d = tower, tower.embd
    w = gguf.GGUFWriter(path, "clip")
    _metadata(w, t)
    # a strong patch embedding: different pixels give clearly different embeddings
    w.add_tensor("v.patch_embd.weight", _w(rng, d, 3, t.patch_size, t.patch_size, std=0.5))
    if t.kind == "mlp":
        w.add_tensor("v.patch_embd.bias", np.zeros(d, dtype=np.float32))
        w.add_tensor("v.position_embd.weight", _w(rng, t.patches, d, std=0.02))
    else:  # Qwen2-VL: a second (temporal) patch kernel; positions are rotary
        w.add_tensor("v.patch_embd.weight.1", _w(rng, d, 3, t.patch_size, t.patch_size, std=0.5))
    _blocks(w, t, rng)
    # the projection to the text model's width, about as large as its token embeddings (Qwen2-VL's merger
    # takes 2x2 patches at once)
    width = d if t.kind == "mlp" else 4 * d
    w.add_tensor("mm.0.weight", _w(rng, t.text_embd, width, std=1.0 / np.sqrt(width)))
    w.add_tensor("mm.0.bias", np.zeros(t.text_embd, dtype=np.float32))
    w.add_tensor("mm.2.weight", _w(rng, t.text_embd, t.text_embd, std=2.0 / np.sqrt(t.text_embd)))
    w.add_tensor("mm.2.bias", np.zeros(t.text_embd, dtype=np.float32))
    finish_gguf(w)
    return path


def make_tiny_vision_model(outdir: str | Path, seed: int = 0, kind: str = "mlp") -> tuple[Path, Path]:
    """Write OUTDIR/model.gguf and OUTDIR/mmproj.gguf; returns their paths. `kind` "qwen2vl": a qwen2vl text
    model (M-RoPE, 4 rotary sections) and Qwen2-VL's projector."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    if kind == "qwen2vl":  # head dim 16: 8 rotary pairs in the sections t, x, y, (z)
        model = make_tiny_llama(out / "model.gguf", n_embd=TEXT_EMBD, seed=seed, arch="qwen2vl",
                                extra_kv={"qwen2vl.rope.dimension_sections": [2, 3, 3, 0]})
    else:
        model = make_tiny_llama(out / "model.gguf", n_embd=TEXT_EMBD, seed=seed)
    return model, write_projector(out / "mmproj.gguf", seed + 1, Tower(kind=kind))


GEMMA3_TOKENS = ("<start_of_image>", "<end_of_image>")
# as in Ollama's published gemma3 files: the tokenizer lists a token past token_embd's rows
GEMMA3_UNEMBEDDED = ("<image_soft_token>",)
GEMMA3_TOKENS_PER_IMAGE = 16  # (32 / 4) ** 2 patches, pooled 2x2


def _gemma3_kv(w: gguf.GGUFWriter, t: Tower, heads: int, kv_heads: int, head_dim: int) -> None:
    """The keys Ollama's converter writes for a multimodal gemma3 (no rope or norm epsilon keys: its runtime
    defaults them)."""
    for key, value in (("block_count", 2), ("attention.head_count", heads), ("attention.head_count_kv", kv_heads),
                       ("context_length", 2048), ("embedding_length", t.text_embd), ("feed_forward_length", 128),
                       ("attention.sliding_window", 512), ("vision.block_count", t.layers),
                       ("vision.embedding_length", t.embd), ("vision.feed_forward_length", t.ff),
                       ("vision.image_size", t.image_size), ("vision.patch_size", t.patch_size),
                       ("vision.num_channels", 3), ("vision.attention.head_count", t.heads),
                       ("attention.key_length", head_dim), ("attention.value_length", head_dim),
                       ("mm.tokens_per_image", GEMMA3_TOKENS_PER_IMAGE)):
        w.add_uint32(f"gemma3.{key}", value)
    w.add_float32("gemma3.vision.attention.layer_norm_epsilon", 1e-6)


def _gemma3_text(w: gguf.GGUFWriter, rng: np.random.Generator, n_embd: int, heads: int, kv_heads: int,
                 head_dim: int) -> None:
    n_vocab, n_ff, s = len(smollm2_tokenizer().tokens) + len(GEMMA3_TOKENS), 128, 1.0 / np.sqrt(n_embd)
    w.add_tensor("token_embd.weight", _w(rng, n_vocab, n_embd, std=1.0))
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    # an untied head (Ollama's converter names an lm_head "output"): tied random embeddings only echo the input
    w.add_tensor("output.weight", _w(rng, n_vocab, n_embd, std=0.5))
    for i in range(2):
        p = f"blk.{i}."
        for name in ("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm"):
            w.add_tensor(p + name + ".weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q_norm", "attn_k_norm"):
            w.add_tensor(p + name + ".weight", np.ones(head_dim, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", _w(rng, heads * head_dim, n_embd, std=s))
        w.add_tensor(p + "attn_k.weight", _w(rng, kv_heads * head_dim, n_embd, std=s))
        w.add_tensor(p + "attn_v.weight", _w(rng, kv_heads * head_dim, n_embd, std=s))
        w.add_tensor(p + "attn_output.weight", _w(rng, n_embd, heads * head_dim, std=s))
        w.add_tensor(p + "ffn_gate.weight", _w(rng, n_ff, n_embd, std=s))
        w.add_tensor(p + "ffn_up.weight", _w(rng, n_ff, n_embd, std=s))
        w.add_tensor(p + "ffn_down.weight", _w(rng, n_embd, n_ff, std=1.0 / np.sqrt(n_ff)))


def _gemma3_vision(w: gguf.GGUFWriter, t: Tower, rng: np.random.Generator) -> None:
    """SigLIP and gemma3's projector under Ollama's names (HF shapes, as both converters keep them)."""
    d = t.embd
    w.add_tensor("v.patch_embedding.weight",  # F16, as Ollama's converter writes it (llama.cpp's: F32)
                 _w(rng, d, 3, t.patch_size, t.patch_size, std=0.5).astype(np.float16))
    w.add_tensor("v.patch_embedding.bias", np.zeros(d, dtype=np.float32))
    w.add_tensor("v.position_embedding.weight", _w(rng, t.patches, d, std=0.02))
    _blocks(w, t, rng, OLLAMA_BLOCK)
    w.add_tensor("v.post_layernorm.weight", np.ones(d, dtype=np.float32))
    w.add_tensor("v.post_layernorm.bias", np.zeros(d, dtype=np.float32))
    w.add_tensor("mm.mm_soft_emb_norm.weight", np.ones(d, dtype=np.float32))
    # HF's (vision, text) parameter, used as x @ W; outputs about as large as gemma3's scaled token embeddings
    w.add_tensor("mm.mm_input_projection.weight", _w(rng, d, t.text_embd, std=np.sqrt(t.text_embd / d)))


def write_gemma3_single(path: Path, seed: int = 0) -> Path:
    """One gemma3 GGUF with its vision tower inside, in Ollama's layout."""
    rng = np.random.default_rng(seed)
    tower = Tower(patch_size=4)
    w = tokenizer_writer(path, "gemma3", name="tiny-gemma3", chat_template=smollm2_tokenizer().chat_template,
                         extra_tokens=GEMMA3_TOKENS + GEMMA3_UNEMBEDDED)
    _gemma3_kv(w, tower, heads=4, kv_heads=2, head_dim=16)
    _gemma3_text(w, rng, tower.text_embd, heads=4, kv_heads=2, head_dim=16)
    _gemma3_vision(w, tower, rng)
    finish_gguf(w)
    return path


QWEN25VL_TOKENS = ("<|vision_start|>", "<|vision_end|>")  # the markers libmtmd puts around a Qwen image


def _qwen25vl_kv(w: gguf.GGUFWriter, t: Tower, heads: int, kv_heads: int) -> None:
    """The keys Ollama's converter writes for Qwen2.5-VL (convert_qwen25vl.go: qwen2's, renamed, plus the
    vision ones); 3 M-RoPE sections over the 8 rotary pairs of a 16-wide head."""
    for key, value in (("block_count", 2), ("context_length", 2048), ("embedding_length", t.text_embd),
                       ("feed_forward_length", 128), ("attention.head_count", heads),
                       ("attention.head_count_kv", kv_heads), ("vision.block_count", t.layers),
                       ("vision.embedding_length", t.embd), ("vision.attention.head_count", t.heads),
                       ("vision.num_channels", 3), ("vision.patch_size", t.patch_size),
                       ("vision.spatial_merge_size", 2), ("vision.spatial_patch_size", t.patch_size),
                       ("vision.window_size", 32), ("vision.temporal_patch_size", 2)):
        w.add_uint32(f"qwen25vl.{key}", value)
    for key, fvalue in (("rope.freq_base", 1e6), ("attention.layer_norm_rms_epsilon", 1e-6),
                        ("vision.attention.layer_norm_epsilon", 1e-6), ("vision.rope.freq_base", 1e4)):
        w.add_float32(f"qwen25vl.{key}", fvalue)
    w.add_array("qwen25vl.rope.mrope_section", [2, 3, 3])
    w.add_array("qwen25vl.vision.fullatt_block_indexes", [1])


def _qwen2_text(w: gguf.GGUFWriter, rng: np.random.Generator, n_embd: int, heads: int, kv_heads: int,
                extra_tokens: int, bias: bool = True, ffn: bool = True) -> None:
    """Qwen2's text tensors (q/k/v biased unless `bias` is False, as a Mistral's are not; an untied head; the
    dense FFN unless `ffn` is False) under Ollama's names."""
    n_vocab, n_ff, hd, s = len(smollm2_tokenizer().tokens) + extra_tokens, 128, n_embd // heads, 1.0 / np.sqrt(n_embd)
    w.add_tensor("token_embd.weight", _w(rng, n_vocab, n_embd, std=1.0))
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor("output.weight", _w(rng, n_vocab, n_embd, std=0.5))
    for i in range(2):
        p = f"blk.{i}."
        for name in ("attn_norm", "ffn_norm"):
            w.add_tensor(p + name + ".weight", np.ones(n_embd, dtype=np.float32))
        for name, rows in (("attn_q", heads * hd), ("attn_k", kv_heads * hd), ("attn_v", kv_heads * hd)):
            w.add_tensor(p + name + ".weight", _w(rng, rows, n_embd, std=s))
            if bias:
                w.add_tensor(p + name + ".bias", np.zeros(rows, dtype=np.float32))
        w.add_tensor(p + "attn_output.weight", _w(rng, n_embd, heads * hd, std=s))
        if ffn:
            w.add_tensor(p + "ffn_gate.weight", _w(rng, n_ff, n_embd, std=s))
            w.add_tensor(p + "ffn_up.weight", _w(rng, n_ff, n_embd, std=s))
            w.add_tensor(p + "ffn_down.weight", _w(rng, n_embd, n_ff, std=1.0 / np.sqrt(n_ff)))


def _qwen25vl_vision(w: gguf.GGUFWriter, t: Tower, rng: np.random.Generator) -> None:
    """Qwen2.5-VL's tower and merger under Ollama's names: the Conv3D patch kernel split in its two temporal
    slices (F16 as Ollama writes them), the fused qkv split in q, k, v; RMS norms, SiLU-gated FFNs."""
    d, ff, s = t.embd, t.ff, 1.0 / np.sqrt(t.embd)
    for k in range(2):
        w.add_tensor(f"v.patch_embd_{k}.weight", _w(rng, d, 3, t.patch_size, t.patch_size, std=0.5).astype(np.float16))
    for i in range(t.layers):
        p = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            w.add_tensor(p + name + ".weight", _w(rng, d, d, std=s))
            w.add_tensor(p + name + ".bias", np.zeros(d, dtype=np.float32))
        for name in ("ln1", "ln2"):
            w.add_tensor(p + name + ".weight", np.ones(d, dtype=np.float32))
        for name in ("ffn_gate", "ffn_up"):
            w.add_tensor(p + name + ".weight", _w(rng, ff, d, std=s))
            w.add_tensor(p + name + ".bias", np.zeros(ff, dtype=np.float32))
        w.add_tensor(p + "ffn_down.weight", _w(rng, d, ff, std=1.0 / np.sqrt(ff)))
        w.add_tensor(p + "ffn_down.bias", np.zeros(d, dtype=np.float32))
    w.add_tensor("v.merger.ln_q.weight", np.ones(d, dtype=np.float32))
    w.add_tensor("v.merger.mlp.0.weight", _w(rng, 4 * d, 4 * d, std=1.0 / np.sqrt(4 * d)))
    w.add_tensor("v.merger.mlp.0.bias", np.zeros(4 * d, dtype=np.float32))
    w.add_tensor("v.merger.mlp.2.weight", _w(rng, t.text_embd, 4 * d, std=2.0 / np.sqrt(4 * d)))
    w.add_tensor("v.merger.mlp.2.bias", np.zeros(t.text_embd, dtype=np.float32))


def write_qwen25vl_single(path: Path, seed: int = 0) -> Path:
    """One Qwen2.5-VL GGUF with its vision tower inside, in Ollama's layout."""
    rng = np.random.default_rng(seed)
    tower = Tower(kind="qwen2vl")
    w = tokenizer_writer(path, "qwen25vl", name="tiny-qwen25vl", chat_template=smollm2_tokenizer().chat_template,
                         extra_tokens=QWEN25VL_TOKENS)
    _qwen25vl_kv(w, tower, heads=4, kv_heads=2)
    _qwen2_text(w, rng, tower.text_embd, heads=4, kv_heads=2, extra_tokens=len(QWEN25VL_TOKENS))
    _qwen25vl_vision(w, tower, rng)
    finish_gguf(w)
    return path


MISTRAL3_TOKENS = ("[IMG]", "[IMG_BREAK]", "[IMG_END]")  # libmtmd ends an image with [IMG_END]


def _mistral3_kv(w: gguf.GGUFWriter, t: Tower, heads: int, kv_heads: int, head_dim: int, n_vocab: int) -> None:
    """The keys of Ollama's mistral3 (convert_mistral.go), with the YaRN keys under the names its published
    files carry (which its llama.cpp shim renames: rope.scaling.beta_fast, ..., rope.scaling_beta)."""
    for key, value in (("vocab_size", n_vocab), ("block_count", 2), ("context_length", 2048),
                       ("embedding_length", t.text_embd), ("feed_forward_length", 128),
                       ("attention.head_count", heads), ("attention.head_count_kv", kv_heads),
                       ("attention.key_length", head_dim), ("attention.value_length", head_dim),
                       ("rope.dimension_count", head_dim), ("rope.scaling.original_context_length", 1024),
                       ("vision.block_count", t.layers), ("vision.embedding_length", t.embd),
                       ("vision.feed_forward_length", t.ff), ("vision.attention.head_count", t.heads),
                       ("vision.attention.key_length", t.embd // t.heads), ("vision.image_size", t.image_size),
                       ("vision.patch_size", t.patch_size), ("vision.num_channels", 3),
                       ("image_token_index", n_vocab - len(MISTRAL3_TOKENS)), ("spatial_merge_size", 2)):
        w.add_uint32(f"mistral3.{key}", value)
    for key, fvalue in (("attention.layer_norm_rms_epsilon", 1e-5), ("rope.freq_base", 1e6),
                        ("rope.scaling.factor", 2.0), ("rope.scaling.beta_fast", 32.0), ("rope.scaling.beta_slow", 1.0),
                        ("rope.scaling.mscale_all_dim", 1.0), ("rope.scaling_beta", 0.1),
                        ("vision.rope.freq_base", 1e4)):
        w.add_float32(f"mistral3.{key}", fvalue)
    w.add_string("mistral3.rope.scaling.type", "yarn")
    w.add_bool("mistral3.mm.projector_bias", False)
    w.add_string("mistral3.mm.projector_hidden_act", "gelu")


def _mistral3_vision(w: gguf.GGUFWriter, t: Tower, rng: np.random.Generator) -> None:
    """Pixtral's tower, Mistral Small 3.1's patch merger and the projector under Ollama's names, in HF's layout
    (vision Q/K not permuted: Ollama's converter repacks only the text model's); F16 where Ollama keeps it."""
    d, ff, s = t.embd, t.ff, 1.0 / np.sqrt(t.embd)
    w.add_tensor("v.patch_conv.weight", _w(rng, d, 3, t.patch_size, t.patch_size, std=0.5).astype(np.float16))
    w.add_tensor("v.encoder_norm.weight", np.ones(d, dtype=np.float32))
    for i in range(t.layers):
        p = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(p + name + ".weight", _w(rng, d, d, std=s).astype(np.float16))
        for name in ("attn_norm", "ffn_norm"):
            w.add_tensor(p + name + ".weight", np.ones(d, dtype=np.float32))
        for name in ("ffn_gate", "ffn_up"):
            w.add_tensor(p + name + ".weight", _w(rng, ff, d, std=s).astype(np.float16))
        w.add_tensor(p + "ffn_down.weight", _w(rng, d, ff, std=1.0 / np.sqrt(ff)).astype(np.float16))
    w.add_tensor("mm.norm.weight", np.ones(d, dtype=np.float32))
    w.add_tensor("mm.patch_merger.merging_layer.weight", _w(rng, d, 4 * d, std=1.0 / np.sqrt(4 * d)))
    w.add_tensor("mm.linear_1.weight", _w(rng, t.text_embd, d, std=1.0 / np.sqrt(d)))
    w.add_tensor("mm.linear_2.weight", _w(rng, t.text_embd, t.text_embd, std=2.0 / np.sqrt(t.text_embd)))


def write_mistral3_single(path: Path, seed: int = 0) -> Path:
    """One mistral3 GGUF with its pixtral vision tower inside, in Ollama's layout."""
    rng = np.random.default_rng(seed)
    tower = Tower(image_size=64, patch_size=4)
    n_vocab = len(smollm2_tokenizer().tokens) + len(MISTRAL3_TOKENS)
    w = tokenizer_writer(path, "mistral3", name="tiny-mistral3", chat_template=smollm2_tokenizer().chat_template,
                         extra_tokens=MISTRAL3_TOKENS)
    _mistral3_kv(w, tower, heads=4, kv_heads=2, head_dim=16, n_vocab=n_vocab)
    _qwen2_text(w, rng, tower.text_embd, heads=4, kv_heads=2, extra_tokens=len(MISTRAL3_TOKENS), bias=False)
    _mistral3_vision(w, tower, rng)
    finish_gguf(w)
    return path


LLAMA4_TOKENS = ("<|image_start|>", "<|image_end|>")  # libmtmd's markers around a Llama 4 image
# llama.cpp's llama4 attends in chunks in 3 layers of 4 and fully in the 4th: fewer give it no full-attention cache
LLAMA4_LAYERS = 4


def _llama4_kv(w: gguf.GGUFWriter, t: Tower, heads: int, kv_heads: int, n_vocab: int) -> None:
    """The keys of Ollama's llama4 (convert_llama4.go: its llama keys renamed, the MoE and vision ones)."""
    for key, value in (("vocab_size", n_vocab), ("block_count", LLAMA4_LAYERS), ("context_length", 2048),
                       ("embedding_length", t.text_embd), ("feed_forward_length", 64),
                       ("attention.head_count", heads), ("attention.head_count_kv", kv_heads),
                       ("rope.dimension_count", t.text_embd // heads), ("expert_feed_forward_length", 32),
                       ("expert_count", 2), ("expert_used_count", 1), ("interleave_moe_layer_step", 1),
                       ("attention.chunk_size", 8192), ("vision.block_count", t.layers),
                       ("vision.embedding_length", t.embd), ("vision.feed_forward_length", t.ff),
                       ("vision.attention.head_count", t.heads), ("vision.image_size", t.image_size),
                       ("vision.patch_size", t.patch_size)):
        w.add_uint32(f"llama4.{key}", value)
    for key, fvalue in (("rope.freq_base", 5e5), ("attention.layer_norm_rms_epsilon", 1e-5),
                        ("vision.rope.freq_base", 1e4), ("vision.layer_norm_epsilon", 1e-5),
                        ("vision.pixel_shuffle_ratio", 0.5)):
        w.add_float32(f"llama4.{key}", fvalue)
    w.add_bool("llama4.use_qk_norm", True)


def _llama4_text(w: gguf.GGUFWriter, rng: np.random.Generator, n_embd: int, heads: int, kv_heads: int,
                 n_vocab: int) -> None:
    """Every block a mixture of 2 experts (1 used) plus a shared one, as Ollama's converter lays them out
    (experts' gate and up split, [experts, ff, embd])."""
    n_ff, hd, s = 32, n_embd // heads, 1.0 / np.sqrt(n_embd)
    w.add_tensor("token_embd.weight", _w(rng, n_vocab, n_embd, std=1.0))
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor("output.weight", _w(rng, n_vocab, n_embd, std=0.5))
    for i in range(LLAMA4_LAYERS):
        p = f"blk.{i}."
        for name in ("attn_norm", "ffn_norm"):
            w.add_tensor(p + name + ".weight", np.ones(n_embd, dtype=np.float32))
        for name, rows in (("attn_q", heads * hd), ("attn_k", kv_heads * hd), ("attn_v", kv_heads * hd)):
            w.add_tensor(p + name + ".weight", _w(rng, rows, n_embd, std=s))
        w.add_tensor(p + "attn_output.weight", _w(rng, n_embd, heads * hd, std=s))
        w.add_tensor(p + "ffn_gate_inp.weight", _w(rng, 2, n_embd, std=s))
        for name in ("ffn_gate_exps", "ffn_up_exps"):
            w.add_tensor(p + name + ".weight", _w(rng, 2, n_ff, n_embd, std=s))
        w.add_tensor(p + "ffn_down_exps.weight", _w(rng, 2, n_embd, n_ff, std=1.0 / np.sqrt(n_ff)))
        for name in ("ffn_gate_shexp", "ffn_up_shexp"):
            w.add_tensor(p + name + ".weight", _w(rng, n_ff, n_embd, std=s))
        w.add_tensor(p + "ffn_down_shexp.weight", _w(rng, n_embd, n_ff, std=1.0 / np.sqrt(n_ff)))


def _llama4_vision(w: gguf.GGUFWriter, t: Tower, rng: np.random.Generator, text_embd: int) -> None:
    """Llama 4's ViT (unfold patch embedding as a linear layer, a class token, learned positions), its
    pixel-shuffle adapter MLP (2x2 patches in) and the projector, under Ollama's names and HF's layout."""
    d, proj = t.embd, 64
    w.add_tensor("v.patch_embedding.weight", _w(rng, d, 3 * t.patch_size * t.patch_size, std=0.5))
    w.add_tensor("v.class_embedding", _w(rng, d, std=0.02))
    w.add_tensor("v.positional_embedding_vlm", _w(rng, t.patches + 1, d, std=0.02))
    for name in ("v.layernorm_pre", "v.layernorm_post"):
        w.add_tensor(name + ".weight", np.ones(d, dtype=np.float32))
        w.add_tensor(name + ".bias", np.zeros(d, dtype=np.float32))
    _blocks(w, t, rng, ("attn_q", "attn_k", "attn_v", "attn_output", "attn_norm", "ffn_norm", "mlp.fc1", "mlp.fc2"))
    w.add_tensor("v.vision_adapter.mlp.fc1.weight", _w(rng, proj, 4 * d, std=1.0 / np.sqrt(4 * d)))
    w.add_tensor("v.vision_adapter.mlp.fc2.weight", _w(rng, proj, proj, std=2.0 / np.sqrt(proj)))
    w.add_tensor("mm.linear_1.weight", _w(rng, text_embd, proj, std=2.0 / np.sqrt(proj)))


def write_llama4_single(path: Path, seed: int = 0) -> Path:
    """One llama4 GGUF with its vision tower inside, in Ollama's layout."""
    rng = np.random.default_rng(seed)
    tower = Tower(patch_size=4, ff=128)
    n_vocab = len(smollm2_tokenizer().tokens) + len(LLAMA4_TOKENS)
    w = tokenizer_writer(path, "llama4", name="tiny-llama4", chat_template=smollm2_tokenizer().chat_template,
                         extra_tokens=LLAMA4_TOKENS)
    _llama4_kv(w, tower, heads=4, kv_heads=2, n_vocab=n_vocab)
    _llama4_text(w, rng, tower.text_embd, heads=4, kv_heads=2, n_vocab=n_vocab)
    _llama4_vision(w, tower, rng, tower.text_embd)
    finish_gguf(w)
    return path


QWEN3VLMOE_EXPERTS = 4


def _qwen3vl_kv(w: gguf.GGUFWriter, arch: str, t: Tower, heads: int, kv_heads: int, head_dim: int) -> None:
    """The keys of Ollama's single-file qwen3vl/qwen3vlmoe (convert_qwen3vl.go before it wrote a separate
    projector: qwen3's keys, M-RoPE sections, the vision ones); a deepstack merger after block 0; the MoE
    one: 4 experts, 2 used, each of feed_forward_length / 2."""
    for key, value in (("block_count", 2), ("context_length", 2048), ("embedding_length", t.text_embd),
                       ("feed_forward_length", 128), ("attention.head_count", heads),
                       ("attention.head_count_kv", kv_heads), ("attention.key_length", head_dim),
                       ("attention.value_length", head_dim), ("vision.block_count", t.layers),
                       ("vision.embedding_length", t.embd), ("vision.attention.head_count", t.heads),
                       ("vision.num_channels", 3), ("vision.patch_size", t.patch_size),
                       ("vision.spatial_merge_size", 2), ("vision.temporal_patch_size", 2),
                       ("vision.shortest_edge", 32 * 32), ("vision.longest_edge", 256 * 256)):
        w.add_uint32(f"{arch}.{key}", value)
    for key, fvalue in (("rope.freq_base", 5e6), ("attention.layer_norm_rms_epsilon", 1e-6),
                        ("vision.attention.layer_norm_epsilon", 1e-6), ("vision.rope.freq_base", 1e4)):
        w.add_float32(f"{arch}.{key}", fvalue)
    w.add_array(f"{arch}.rope.mrope_section", [2, 3, 3])
    w.add_array(f"{arch}.vision.deepstack_visual_indexes", [0])
    w.add_array(f"{arch}.vision.image_mean", [0.5, 0.5, 0.5])
    w.add_array(f"{arch}.vision.image_std", [0.5, 0.5, 0.5])
    if arch == "qwen3vlmoe":
        w.add_uint32(f"{arch}.expert_count", QWEN3VLMOE_EXPERTS)
        w.add_uint32(f"{arch}.expert_used_count", 2)
        w.add_bool(f"{arch}.norm_top_k_prob", True)


def _linear(w: gguf.GGUFWriter, rng: np.random.Generator, name: str, n_out: int, n_in: int, std: float,
            dtype: type = np.float32) -> None:
    w.add_tensor(name + ".weight", _w(rng, n_out, n_in, std=std).astype(dtype))
    w.add_tensor(name + ".bias", np.zeros(n_out, dtype=np.float32))


def _layer_norm(w: gguf.GGUFWriter, name: str, n: int) -> None:
    w.add_tensor(name + ".weight", np.ones(n, dtype=np.float32))
    w.add_tensor(name + ".bias", np.zeros(n, dtype=np.float32))


def _qwen3vl_vision(w: gguf.GGUFWriter, t: Tower, rng: np.random.Generator) -> None:
    """Qwen3-VL's tower under Ollama's names: the Conv3D patch kernel as [out * in, 2, p, p] (F16), learned
    positions for a 4x4 grid, fused qkv split in q, k, v (F16), the merger and a deepstack merger (2x2
    patches in)."""
    d, ff, s = t.embd, t.ff, 1.0 / np.sqrt(t.embd)
    w.add_tensor("v.patch_embed.weight", _w(rng, d * 3, 2, t.patch_size, t.patch_size, std=0.5).astype(np.float16))
    w.add_tensor("v.patch_embed.bias", np.zeros(d, dtype=np.float32))
    w.add_tensor("v.pos_embed.weight", _w(rng, 16, d, std=0.02))
    for i in range(t.layers):
        p = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v"):
            _linear(w, rng, p + name, d, d, s, np.float16)
        _linear(w, rng, p + "attn_out", d, d, s)
        _layer_norm(w, p + "norm1", d)
        _layer_norm(w, p + "norm2", d)
        _linear(w, rng, p + "mlp.linear_fc1", ff, d, s)
        _linear(w, rng, p + "mlp.linear_fc2", d, ff, 1.0 / np.sqrt(ff))
    for p, norm in (("v.merger.", d), ("v.deepstack_merger.0.", 4 * d)):
        _layer_norm(w, p + "norm", norm)
        _linear(w, rng, p + "linear_fc1", 4 * d, 4 * d, 1.0 / np.sqrt(4 * d))
        _linear(w, rng, p + "linear_fc2", t.text_embd, 4 * d, 2.0 / np.sqrt(4 * d))


def _moe_ffn(w: gguf.GGUFWriter, rng: np.random.Generator, n_embd: int, n_ff: int, layers: int) -> None:
    """A router and experts' gate, up and down per block, as Ollama lays them out ([experts, out, in])."""
    for i in range(layers):
        p, e = f"blk.{i}.", QWEN3VLMOE_EXPERTS
        w.add_tensor(p + "ffn_gate_inp.weight", _w(rng, e, n_embd, std=1.0 / np.sqrt(n_embd)))
        for name in ("ffn_gate_exps", "ffn_up_exps"):
            w.add_tensor(p + name + ".weight", _w(rng, e, n_ff, n_embd, std=1.0 / np.sqrt(n_embd)))
        w.add_tensor(p + "ffn_down_exps.weight", _w(rng, e, n_embd, n_ff, std=1.0 / np.sqrt(n_ff)))


def write_qwen3vl_single(path: Path, seed: int = 0, arch: str = "qwen3vl") -> Path:
    """One Qwen3-VL GGUF with its vision tower inside, in the layout of Ollama's published files; `arch`
    "qwen3vlmoe": its mixture-of-experts text model."""
    rng = np.random.default_rng(seed)
    tower = Tower(kind="qwen2vl")
    w = tokenizer_writer(path, arch, name=f"tiny-{arch}", chat_template=smollm2_tokenizer().chat_template,
                         extra_tokens=QWEN25VL_TOKENS)
    _qwen3vl_kv(w, arch, tower, heads=4, kv_heads=2, head_dim=16)
    _qwen2_text(w, rng, tower.text_embd, heads=4, kv_heads=2, extra_tokens=len(QWEN25VL_TOKENS), bias=False,
                ffn=arch == "qwen3vl")
    if arch == "qwen3vlmoe":
        _moe_ffn(w, rng, tower.text_embd, 128 // 2, layers=2)
    for i in range(2):  # qwen3's per-head q and k norms
        for name in ("attn_q_norm", "attn_k_norm"):
            w.add_tensor(f"blk.{i}.{name}.weight", np.ones(16, dtype=np.float32))
    _qwen3vl_vision(w, tower, rng)
    finish_gguf(w)
    return path


SINGLE = {"gemma3-single": ("gemma3.gguf", write_gemma3_single),
          "qwen25vl-single": ("qwen25vl.gguf", write_qwen25vl_single),
          "mistral3-single": ("mistral3.gguf", write_mistral3_single),
          "llama4-single": ("llama4.gguf", write_llama4_single),
          "qwen3vl-single": ("qwen3vl.gguf", write_qwen3vl_single),
          "qwen3vlmoe-single": ("qwen3vlmoe.gguf", partial(write_qwen3vl_single, arch="qwen3vlmoe"))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outdir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kind", choices=("mlp", "qwen2vl", *SINGLE), default="mlp",
                   help="mlp: LLaVA's projector (16 tokens per image); qwen2vl: Qwen2-VL's (M-RoPE positions); "
                        "*-single: one GGUF in Ollama's layout")
    args = p.parse_args(argv)
    if args.kind in SINGLE:
        name, write = SINGLE[args.kind]
        Path(args.outdir).mkdir(parents=True, exist_ok=True)
        print(write(Path(args.outdir) / name, args.seed))
        return 0
    for path in make_tiny_vision_model(args.outdir, args.seed, args.kind):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
