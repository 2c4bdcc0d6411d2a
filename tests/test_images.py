"""Image decoding for vision requests (pollama.inference.images): every supported format, and refusals."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pollama.api.errors import BadRequest
from pollama.inference.images import decode_image, decode_images, tag_messages, tag_text


def encoded(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_jpeg_decodes_to_rgb() -> None:
    out = decode_image(encoded(Image.new("RGB", (20, 10), (200, 10, 10)), "JPEG"))
    assert (out.width, out.height, len(out.rgb)) == (20, 10, 600)
    assert abs(out.rgb[0] - 200) < 8 and len(out.id) == 64


def test_gif_gives_its_first_frame_and_rgba_drops_alpha() -> None:
    frames = [Image.new("RGB", (4, 4), c) for c in ((255, 0, 0), (0, 0, 255))]
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert decode_image(gif).rgb[:3] == bytes((255, 0, 0))
    rgba = decode_image(encoded(Image.new("RGBA", (2, 2), (1, 2, 3, 0)), "PNG"))
    assert rgba.rgb == bytes((1, 2, 3)) * 4


def test_the_id_is_the_file_not_the_pixels() -> None:
    img = Image.new("RGB", (8, 8), (9, 9, 9))
    png, webp = encoded(img, "PNG"), encoded(img, "WEBP", lossless=True)
    assert decode_image(png).rgb == decode_image(webp).rgb and decode_image(png).id != decode_image(webp).id


@pytest.mark.parametrize("data", [b"", b"GIF89a", encoded(Image.new("RGB", (64, 64)), "JPEG")[:200],
                                  encoded(Image.new("RGB", (4, 4)), "TIFF"), "not base64!"])
def test_bad_images_are_bad_requests(data: bytes | str) -> None:
    with pytest.raises(BadRequest) as e:
        decode_images([data])
    assert e.value.status == 400 and "image" in str(e.value)


def test_tags_as_ollama_writes_them_for_templates() -> None:
    assert tag_text("see", 2) == "[img-0][img-1]see"
    assert tag_text("a [img] b", 2, offset=3) == "[img-4]a [img-3] b"
    tagged = tag_messages([{"role": "user", "content": "x", "images": ["a"]}, {"role": "assistant", "content": "y"},
                           {"role": "user", "content": "z", "images": ["b", "c"]}])
    assert [m["content"] for m in tagged] == ["[img-0]x", "y", "[img-1][img-2]z"]
