"""Write a tiny random vision model pair: `OUTDIR/model.gguf` (a llama text model with SmolLM2's tokenizer and
chat template) and `OUTDIR/mmproj.gguf` (a CLIP vision tower with a LLaVA "mlp" projector), laid out as
llama.cpp's mtmd/clip loader reads them (tools/mtmd/clip.cpp, clip-impl.h: `clip.*` keys, `v.*` and `mm.*`
tensors). The weights are random: the pair proves the plumbing (an image becomes PATCHES embeddings the text
model attends to), not vision. Create a model from both files like from a real pair:

    python3 scripts/make_tiny_vision_model.py /tmp/tv
    # upload both blobs, then POST /api/create {"model": "tiny-vision", "files": {"model.gguf": "sha256:...",
    #                                           "mmproj.gguf": "sha256:..."}}

Usage: make_tiny_vision_model.py OUTDIR [--seed N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gguf
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fixtures.tiny_gguf import finish_gguf, make_tiny_llama  # noqa: E402

IMAGE_SIZE = 32  # pixels per side the projector resizes to
PATCH_SIZE = 8
PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2  # embeddings (tokens) per image: 16
TEXT_EMBD = 64  # the text model's n_embd: the projector's output width
VISION_EMBD = 32
VISION_FF = 64
VISION_HEADS = 2
VISION_LAYERS = 2  # llava's graph runs all but the last


def _w(rng: np.random.Generator, *shape: int, std: float) -> np.ndarray:
    return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)


def write_projector(path: Path, seed: int = 1) -> Path:
    """The CLIP projector GGUF (general.architecture "clip", projector type "mlp")."""
    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(path, "clip")
    w.add_name("tiny-vision-projector")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_string("clip.projector_type", "mlp")
    w.add_bool("clip.use_gelu", True)
    w.add_uint32("clip.vision.image_size", IMAGE_SIZE)
    w.add_uint32("clip.vision.patch_size", PATCH_SIZE)
    w.add_uint32("clip.vision.embedding_length", VISION_EMBD)
    w.add_uint32("clip.vision.feed_forward_length", VISION_FF)
    w.add_uint32("clip.vision.projection_dim", TEXT_EMBD)
    w.add_uint32("clip.vision.attention.head_count", VISION_HEADS)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    w.add_uint32("clip.vision.block_count", VISION_LAYERS)
    w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])

    d, ff, s = VISION_EMBD, VISION_FF, 1.0 / np.sqrt(VISION_EMBD)
    # a strong patch embedding: different pixels give clearly different embeddings
    w.add_tensor("v.patch_embd.weight", _w(rng, d, 3, PATCH_SIZE, PATCH_SIZE, std=0.5))
    w.add_tensor("v.patch_embd.bias", np.zeros(d, dtype=np.float32))
    w.add_tensor("v.position_embd.weight", _w(rng, PATCHES, d, std=0.02))
    for i in range(VISION_LAYERS):
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
    # the projection to the text model's width, scaled like its token embeddings (unit variance)
    w.add_tensor("mm.0.weight", _w(rng, TEXT_EMBD, d, std=1.0 / np.sqrt(d)))
    w.add_tensor("mm.0.bias", np.zeros(TEXT_EMBD, dtype=np.float32))
    w.add_tensor("mm.2.weight", _w(rng, TEXT_EMBD, TEXT_EMBD, std=2.0 / np.sqrt(TEXT_EMBD)))
    w.add_tensor("mm.2.bias", np.zeros(TEXT_EMBD, dtype=np.float32))
    finish_gguf(w)
    return path


def make_tiny_vision_model(outdir: str | Path, seed: int = 0) -> tuple[Path, Path]:
    """Write OUTDIR/model.gguf and OUTDIR/mmproj.gguf; returns their paths."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    model = make_tiny_llama(out / "model.gguf", n_embd=TEXT_EMBD, seed=seed)
    return model, write_projector(out / "mmproj.gguf", seed + 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outdir")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    for path in make_tiny_vision_model(args.outdir, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
