"""A request's images: decoded and checked before anything runs (a bad one is a 400 and nothing else
happens), numbered with Ollama's `[img-N]` tags in the prompt, and sent to the runner as RGB pixels.

PNG, JPEG, WebP and GIF (its first frame) decode, with Pillow; anything else, a truncated file, an image
over MAX_IMAGE_PIXELS, or a request whose images add up to more than MAX_REQUEST_PIXELS is refused (a few
kilobytes of PNG can hold a huge flat image: the pixels, not the bytes, are what the server holds). Each decoded image carries the SHA-256 of its bytes, which keys the
runner's prefix cache (a later turn about the same image does not encode it again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from collections.abc import Sequence
from typing import Any

from PIL import Image, UnidentifiedImageError

from pollama.api.errors import BadRequest
from pollama.prompt.renderers._image_tags import number_image_tags
from pollama.runner.protocol import ImageInput

__all__ = ["MAX_IMAGE_PIXELS", "MAX_REQUEST_PIXELS", "FORMATS", "decode_image", "decode_images", "decode_message_images",
           "message_images", "tag_text", "tag_messages"]

MAX_IMAGE_PIXELS = 4096 * 4096  # 48 MiB of RGB; larger photos are scaled down by every projector anyway
MAX_REQUEST_PIXELS = 3 * MAX_IMAGE_PIXELS  # all of a request's images: 144 MiB of RGB to hold and send
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")


def _bytes(data: str | bytes) -> bytes:
    if isinstance(data, bytes):
        return data
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("invalid image data: not base64") from None


def decode_image(data: str | bytes, budget: int = MAX_IMAGE_PIXELS) -> ImageInput:
    """One image (base64 text or bytes) as RGB pixels; BadRequest if it is not a whole PNG, JPEG, WebP or GIF
    of at most MAX_IMAGE_PIXELS pixels, or has more than `budget` (what the request has left)."""
    raw = _bytes(data)
    if not raw:
        raise BadRequest("invalid image data: empty")
    try:
        with Image.open(io.BytesIO(raw), formats=FORMATS) as img:  # reads the header only
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise BadRequest(f"image too large: {width}x{height} pixels (at most {MAX_IMAGE_PIXELS})")
            if width * height > budget:
                raise BadRequest(f"images too large: more than {MAX_REQUEST_PIXELS} pixels in one request")
            img.load()  # a GIF stays on its first frame
            rgb = img.convert("RGB").tobytes()
    except UnidentifiedImageError:
        raise BadRequest("invalid image data: unsupported image format (PNG, JPEG, WebP and GIF are supported)"
                         ) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise BadRequest(f"invalid image data: {e}") from None
    return ImageInput(hashlib.sha256(raw).hexdigest(), width, height, rgb)


def decode_images(images: Sequence[str | bytes] | None) -> list[ImageInput]:
    """A request's images, decoded (at most MAX_REQUEST_PIXELS in all)."""
    out: list[ImageInput] = []
    budget = MAX_REQUEST_PIXELS
    for data in images or []:
        out.append(decode_image(data, budget))
        budget -= out[-1].width * out[-1].height
    return out


def decode_message_images(messages: list[dict[str, Any]]) -> None:
    """Decode every message's `images` in place (renderers and templates only count them); at most
    MAX_REQUEST_PIXELS in all."""
    decoded = iter(decode_images([data for m in messages for data in m.get("images") or []]))
    for message in messages:
        if message.get("images"):
            message["images"] = [next(decoded) for _ in message["images"]]


def message_images(messages: Sequence[dict[str, Any]]) -> list[ImageInput]:
    """The decoded images of `messages`, in order: image N is the prompt's `[img-N]`."""
    return [image for m in messages for image in m.get("images") or []]


def tag_text(content: str, count: int, offset: int = 0) -> str:
    """`content` with tags for its `count` images numbered from `offset`: each `[img]` placeholder takes the
    next number, the rest go in front (Ollama's imageTaggedMessages, for templates)."""
    prefix, content = number_image_tags(content, count, offset)
    return prefix + content


def tag_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages whose images are tagged in their text, numbered across the messages (built-in renderers
    tag their own)."""
    out, offset = [], 0
    for m in messages:
        count = len(m.get("images") or [])
        if count:
            m = {**m, "content": tag_text(m.get("content") or "", count, offset)}
            offset += count
        out.append(m)
    return out
