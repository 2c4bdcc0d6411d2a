"""`[img-N]` tags for a message's images (Ollama's model/renderers/image_tags.go), shared by the renderers
that take `use_img_tags` (Ollama's server always sets it)."""

from __future__ import annotations

__all__ = ["with_image_tags", "number_image_tags"]


def number_image_tags(content: str, count: int, offset: int) -> tuple[str, str]:
    """(the tags of the images that have no `[img]` placeholder, `content` with its placeholders numbered):
    `count` images numbered from `offset`, the placeholders taking the numbers in order."""
    prefix = ""
    for n in range(offset, offset + count):
        tag = f"[img-{n}]"
        if "[img]" in content:
            content = content.replace("[img]", tag, 1)
        else:
            prefix += tag
    return prefix, content


def with_image_tags(content: str, count: int, offset: int) -> tuple[str, int]:
    """`content` with its `count` images numbered from `offset`, and the next free number.

    Explicit `[img]` placeholders take the numbers in order; images left over get their tags in front
    (followed by a space when the text starts with a non-space). Text that already has `[img-` tags is
    left alone."""
    if count == 0:
        return content, offset
    if "[img-" in content:
        return content, offset + count
    prefix, content = number_image_tags(content, count, offset)
    if prefix and content and not content[0].isspace():
        prefix += " "
    return prefix + content, offset + count
