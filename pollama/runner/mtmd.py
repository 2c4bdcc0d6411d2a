"""Images for vision models, through llama.cpp's multimodal library (libmtmd, llama-cpp-python's `mtmd_cpp`).

A prompt arrives as text with Ollama's `[img-N]` tags and the images they name (`ImageInput`, N = index).
`Vision.tokenize` splits the text at the tags and lets mtmd tokenize the parts: text chunks become token ids,
each image chunk (the projector's preprocessed image) becomes `n_tokens` copies of a negative placeholder
id, its `ImageChunk.key`, derived from the image's bytes. So a prompt is still one flat list: the engine's
prefix cache compares placeholders like tokens, and a later turn about the same image finds it cached.

The engine encodes an image chunk (`Vision.encode`, the vision tower) on its own thread, once, when the
slot reaches it, and decodes the embeddings in batches of its own (llama.cpp's batch holds either token
ids or embeddings), between the steps that carry the other sequences' tokens.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import llama_cpp as lc
import numpy as np
from llama_cpp import mtmd_cpp as mt

from pollama.runner.llama import LoadError, Model, log_callback
from pollama.runner.protocol import ImageInput, RequestError

__all__ = ["ImageChunk", "MediaPrompt", "Vision", "IMAGE_TAG", "is_image"]

IMAGE_TAG = re.compile(r"\[img-(\d+)\]")
_TEXT, _IMAGE = 0, 1  # mtmd_input_chunk_type


def is_image(token: int) -> bool:
    """Whether a prompt entry is an image placeholder (text tokens are never negative)."""
    return token < 0


def _key(image_id: str, ordinal: int) -> int:
    """A negative placeholder id for the `ordinal`-th chunk of the image with id `image_id` (in [-2**31, -2])."""
    digest = hashlib.blake2b(f"{image_id}:{ordinal}".encode(), digest_size=4).digest()
    return -2 - int.from_bytes(digest, "little") % (2**31 - 1)


@dataclass(eq=False)
class ImageChunk:
    """One image chunk of a prompt: mtmd's chunk (owned) and, once encoded, its embeddings."""

    key: int
    n_tokens: int
    n_pos: int  # positions it takes in the sequence: n_tokens, or fewer with M-RoPE
    ptr: Any
    embd: np.ndarray | None = None

    def __del__(self) -> None:
        if self.ptr:
            mt.mtmd_input_chunk_free(self.ptr)
            self.ptr = None


@dataclass
class MediaPrompt:
    tokens: list[int]  # text token ids, and for every image token its chunk's key
    images: dict[int, ImageChunk] = field(default_factory=dict)


def _text_part(text: str) -> tuple[Any, bytes]:
    data = text.encode("utf-8")
    part = mt.mtmd_input_text()
    part.text, part.text_len, part.add_special, part.parse_special = data, len(data), False, True
    return part, data


class Vision:
    """A loaded projector (mmproj GGUF) for `model`. `tokenize` may run on any thread; `encode` on the
    engine's (it computes with the engine's CPU threads)."""

    def __init__(self, path: str, model: Model, threads: int) -> None:
        mt.mtmd_log_set(log_callback(), None)
        params = mt.mtmd_context_params_default()
        params.use_gpu = False
        params.print_timings = False
        params.n_threads = threads
        params.warmup = True
        self.ctx = mt.mtmd_init_from_file(path.encode(), model.ptr, params)
        if not self.ctx:
            raise LoadError(f"unable to load the vision projector: {path}")
        if not mt.mtmd_support_vision(self.ctx):
            raise LoadError(f"the projector has no vision encoder: {path}")
        self.n_embd = int(lc.llama_model_n_embd_inp(model.ptr)) or model.n_embd
        # M-RoPE models (Qwen2-VL and after) place an image's tokens on a grid: 4 positions per token, and
        # fewer positions than tokens in the sequence
        self.mrope = bool(mt.mtmd_decode_use_mrope(self.ctx))

    def tokenize(self, prompt: str, images: list[ImageInput], add_special: bool) -> MediaPrompt:
        """The prompt's text tokens and image placeholders. `[img-N]` names images[N] (its first tag; a tag
        naming no image stays text); an image no tag names goes in front."""
        order: list[int] = []
        texts: list[str] = []
        last = 0
        for m in IMAGE_TAG.finditer(prompt):
            n = int(m[1])
            if n < len(images) and n not in order:
                texts.append(prompt[last:m.start()])
                order.append(n)
                last = m.end()
        texts.append(prompt[last:])
        front = [n for n in range(len(images)) if n not in order]
        return self._tokenize_parts(front + order, [""] * len(front) + texts, images, add_special)

    def _tokenize_parts(self, order: list[int], texts: list[str], images: list[ImageInput],
                        add_special: bool) -> MediaPrompt:
        """mtmd's chunks of texts[0] images[order[0]] texts[1] ... (len(texts) == len(order) + 1)."""
        keep: list[Any] = []  # what the parts point at, alive until mtmd has read them
        bitmaps = []
        parts = (mt.mtmd_input_part * (len(order) + len(texts)))()
        n = 0
        for i, text in enumerate(texts):
            if text:
                part, data = _text_part(text)
                keep += [part, data]
                parts[n].text = ctypes.pointer(part)
                n += 1
            if i < len(order):
                img = images[order[i]]
                pixels = (ctypes.c_uint8 * len(img.rgb)).from_buffer_copy(img.rgb)
                bitmap = mt.mtmd_bitmap_init(img.width, img.height, pixels)
                mt.mtmd_bitmap_set_id(bitmap, f"{img.id}:{img.width}x{img.height}".encode())
                bitmaps.append(bitmap)
                parts[n].bitmap = bitmap
                n += 1
        pointers = (ctypes.POINTER(mt.mtmd_input_part) * n)(*(ctypes.pointer(parts[i]) for i in range(n)))
        chunks = mt.mtmd_input_chunks_init()
        try:
            rc = mt.mtmd_tokenize_from_parts(self.ctx, chunks, pointers, n, add_special)
            if rc != 0:
                raise RequestError(f"failed to process the images (mtmd status {rc})")
            return self._prompt(chunks)
        finally:
            mt.mtmd_input_chunks_free(chunks)
            for bitmap in bitmaps:
                mt.mtmd_bitmap_free(bitmap)

    @staticmethod
    def _prompt(chunks: Any) -> MediaPrompt:
        out = MediaPrompt([])
        seen: dict[str, int] = {}
        for i in range(mt.mtmd_input_chunks_size(chunks)):
            chunk = mt.mtmd_input_chunks_get(chunks, i)
            if mt.mtmd_input_chunk_get_type(chunk) == _TEXT:
                count = ctypes.c_size_t()
                ids = mt.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
                out.tokens += ids[: count.value]
                continue
            image_id = (mt.mtmd_input_chunk_get_id(chunk) or b"").decode()
            ordinal = seen[image_id] = seen.get(image_id, -1) + 1
            n_tokens = int(mt.mtmd_input_chunk_get_n_tokens(chunk))
            image = ImageChunk(_key(image_id, ordinal), n_tokens, int(mt.mtmd_input_chunk_get_n_pos(chunk)),
                               mt.mtmd_input_chunk_copy(chunk))
            out.images[image.key] = image
            out.tokens += [image.key] * n_tokens
        return out

    def non_causal(self, image: ImageChunk) -> bool:
        """Whether the model attends over an image both ways (decoded in one batch, causal attention off)."""
        return bool(mt.mtmd_decode_use_non_causal(self.ctx, image.ptr))

    def positions(self, image: ImageChunk, pos_0: int, start: int, rows: int, out: Any) -> None:
        """Write the positions of the image's tokens start..start+rows into a batch's `pos` array, the image
        beginning at position `pos_0`: one each, or with M-RoPE four, section by section (t, x, y, z)."""
        if not self.mrope:
            for j in range(rows):
                out[j] = pos_0 + start + j
            return
        tokens = mt.mtmd_input_chunk_get_tokens_image(image.ptr)
        for j in range(rows):
            p = mt.mtmd_image_tokens_get_decoder_pos(tokens, pos_0, start + j)
            out[j], out[rows + j], out[2 * rows + j], out[3 * rows + j] = p.t, p.x, p.y, p.z

    def encode(self, image: ImageChunk) -> np.ndarray:
        """The image's embeddings (n_tokens x n_embd), computed once per chunk."""
        if image.embd is None:
            if mt.mtmd_encode_chunk(self.ctx, image.ptr) != 0:
                raise RuntimeError("failed to encode the image")
            out = mt.mtmd_get_output_embd(self.ctx)
            image.embd = np.ctypeslib.as_array(out, shape=(image.n_tokens * self.n_embd,)).copy()
        return image.embd

    def close(self) -> None:
        if self.ctx:
            mt.mtmd_free(self.ctx)
            self.ctx = None
