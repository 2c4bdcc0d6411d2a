"""Write a tiny random vision model pair: `OUTDIR/model.gguf` (a llama text model with SmolLM2's tokenizer and
chat template) and `OUTDIR/mmproj.gguf` (a CLIP vision tower with a LLaVA "mlp" projector), laid out as
llama.cpp's mtmd/clip loader reads them (tools/mtmd/clip.cpp, clip-impl.h: `clip.*` keys, `v.*` and `mm.*`
tensors). The weights are random: the pair proves the plumbing (an image becomes 16 embeddings the text model
attends to), not vision. Create a model from both files like from a real pair:

    python3 scripts/make_tiny_vision_model.py /tmp/tv
    # upload both blobs, then POST /api/create {"model": "tiny-vision", "files": {"model.gguf": "sha256:...",
    #                                           "mmproj.gguf": "sha256:..."}}

Usage: make_tiny_vision_model.py OUTDIR [--seed N] [--kind mlp|qwen2vl]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fixtures.tiny_gguf import finish_gguf, make_tiny_llama  # noqa: E402

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


def _blocks(w: gguf.GGUFWriter, t: Tower, rng: np.random.Generator) -> None:
    d, ff, s = t.embd, t.ff, 1.0 / np.sqrt(t.embd)
    for i in range(t.layers):
        p = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            w.add_tensor(p + name + ".weight", _w(rng, d, d, std=s))
            w.add_tensor(p + name + ".bias", np.zeros(d, dtype=np.float32))
        for name in ("ln1", "ln2"):
            w.add_tensor(p + name + ".weight", np.ones(d, dtype=np.float32))
            w.add_tensor(p + name + ".bias", np.zeros(d, dtype=np.float32))
        w.add_tensor(p + "ffn_up.weight", _w(rng, ff, d, std=s))
        w.add_tensor(p + "ffn_up.bias", np.zeros(ff, dtype=np.float32))
        w.add_tensor(p + "ffn_down.weight", _w(rng, d, ff, std=1.0 / np.sqrt(ff)))
        w.add_tensor(p + "ffn_down.bias", np.zeros(d, dtype=np.float32))


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outdir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kind", choices=("mlp", "qwen2vl"), default="mlp",
                   help="mlp: LLaVA's projector (16 tokens per image); qwen2vl: Qwen2-VL's (M-RoPE positions)")
    args = p.parse_args(argv)
    for path in make_tiny_vision_model(args.outdir, args.seed, args.kind):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
