"""[img-N] tags: every case of Ollama's model/renderers/image_tags_test.go."""

from __future__ import annotations

import pytest

from pollama.prompt.renderers._image_tags import with_image_tags

CASES = [
    (
        "prefixes when there are no placeholders",
        "describe this image",
        2,
        0,
        "[img-0][img-1] describe this image",
        2,
    ),
    (
        "replaces explicit placeholders in order",
        "compare [img] and [img]",
        2,
        3,
        "compare [img-3] and [img-4]",
        5,
    ),
    (
        "prefixes extra images after placeholders are exhausted",
        "compare [img]",
        2,
        0,
        "[img-1] compare [img-0]",
        2,
    ),
    (
        "leaves leftover placeholders when there are fewer images",
        "compare [img] and [img]",
        1,
        0,
        "compare [img-0] and [img]",
        1,
    ),
    (
        "preserves already-numbered placeholders",
        "compare [img-0] and [img-1]",
        2,
        0,
        "compare [img-0] and [img-1]",
        2,
    ),
]


@pytest.mark.parametrize("name,content,count,offset,want,want_offset", CASES, ids=[c[0] for c in CASES])
def test_with_image_tags(
    name: str, content: str, count: int, offset: int, want: str, want_offset: int
) -> None:
    assert with_image_tags(content, count, offset) == (want, want_offset)


def test_no_images_leaves_text_and_offset() -> None:
    assert with_image_tags("text", 0, 4) == ("text", 4)


def test_no_space_added_before_leading_whitespace_or_empty_text() -> None:
    assert with_image_tags("\nhi", 1, 0) == ("[img-0]\nhi", 1)
    assert with_image_tags("", 1, 0) == ("[img-0]", 1)
