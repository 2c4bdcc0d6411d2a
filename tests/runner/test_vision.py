"""The runner's image path: where `[img-N]` puts each image, the placeholder ids that key the prefix cache,
a prompt that ends with an image, and refusals."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from runner_helpers import Loop, collect, greedy

from pollama.runner.client import RunnerError
from pollama.runner.llama import Model, setup_logging
from pollama.runner.mtmd import Vision, is_image
from pollama.runner.protocol import ImageInput, RequestError

N_IMAGE = 16  # the tiny projector's tokens per image


def image(seed: int, width: int = 24, height: int = 20) -> ImageInput:
    rgb = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8).tobytes()
    return ImageInput(hashlib.sha256(rgb).hexdigest(), width, height, rgb)


@pytest.fixture(scope="module")
def qwen2vl_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny qwen2vl text model and Qwen2-VL projector: M-RoPE, an image on fewer positions than tokens."""
    out = tmp_path_factory.mktemp("qwen2vl")
    script = Path(__file__).resolve().parents[2] / "scripts" / "make_tiny_vision_model.py"
    subprocess.run([sys.executable, str(script), str(out), "--kind", "qwen2vl"], check=True, timeout=120,
                   capture_output=True)
    return out


@pytest.fixture(scope="module")
def vision(vision_pair: Path) -> tuple[Model, Vision]:
    setup_logging(False)
    model = Model(vision_pair / "model.gguf")
    return model, Vision(str(vision_pair / "mmproj.gguf"), model, threads=1)


def runs(tokens: list[int]) -> list[int]:
    """The placeholder id of each image run, in order."""
    return [t for i, t in enumerate(tokens) if is_image(t) and (i == 0 or tokens[i - 1] != t)]


def test_tags_place_images_in_order(vision: tuple[Model, Vision]) -> None:
    model, v = vision
    a, b = image(1), image(2)
    out = v.tokenize("x [img-1] y [img-0] z [img-5]", [a, b], add_special=False)
    assert len(out.tokens) == len([t for t in out.tokens if not is_image(t)]) + 2 * N_IMAGE
    first, second = runs(out.tokens)
    assert first == v.tokenize("[img-0]", [b], False).tokens[0]  # image 1 comes first
    assert second == v.tokenize("[img-0]", [a], False).tokens[0]
    tail = model.tokenize(" z [img-5]", add_special=False)
    assert out.tokens[-len(tail):] == tail  # a tag naming no image stays text


def test_placeholders_follow_the_image_bytes(vision: tuple[Model, Vision]) -> None:
    _, v = vision
    a, b = image(1), image(2)
    assert runs(v.tokenize("[img-0] q", [a], False).tokens) == runs(v.tokenize("other [img-0]", [a], False).tokens)
    assert runs(v.tokenize("[img-0]", [a], False).tokens) != runs(v.tokenize("[img-0]", [b], False).tokens)
    twice = runs(v.tokenize("[img-0][img-1]", [a, a], False).tokens)
    assert len(twice) == 2 and twice[0] != twice[1]  # two occurrences are two runs of the cache
    wide, tall = image(6, 48, 1), image(6, 1, 48)  # the same bytes in another shape: another image
    assert runs(v.tokenize("[img-0]", [wide], False).tokens) != runs(v.tokenize("[img-0]", [tall], False).tokens)


def test_untagged_images_go_in_front(vision: tuple[Model, Vision]) -> None:
    model, v = vision
    out = v.tokenize("hello", [image(3)], add_special=True)
    assert all(is_image(t) for t in out.tokens[:N_IMAGE])
    assert out.tokens[N_IMAGE:] == model.tokenize("hello", add_special=False)


def test_bad_image_wire_values_are_refused() -> None:
    good = image(1).to_wire()
    assert ImageInput.from_wire(good) == image(1)
    for bad in ({**good, "width": 0}, {**good, "rgb": "AAAA"}, {**good, "rgb": "@@"}, {**good, "id": ""}, []):
        with pytest.raises(RequestError):
            ImageInput.from_wire(bad)


def test_a_prompt_may_end_with_an_image(loop: Loop, vision_pair: Path) -> None:
    runner = loop.start(vision_pair / "model.gguf", ctx=256, projector=vision_pair / "mmproj.gguf")
    try:
        text, done, _ = loop.run(collect(runner, {"prompt": "look: [img-0]", "images": [image(4)],
                                                  "add_special": False, "options": greedy(8)}))
        assert text and done.prompt_eval_count > N_IMAGE
        assert all(t >= 0 for t in done.context)
        count = loop.run(runner.tokenize("a [img-0] b", images=[image(4)]))
        assert sum(map(is_image, count)) == N_IMAGE
    finally:
        loop.run(runner.stop())


def test_images_need_a_projector(loop: Loop, vision_pair: Path) -> None:
    runner = loop.start(vision_pair / "model.gguf", ctx=256)
    try:
        with pytest.raises(RunnerError) as e:
            loop.run(collect(runner, {"prompt": "[img-0]", "images": [image(1)], "options": greedy(4)}))
        assert e.value.status == 400 and "does not support images" in str(e.value)
        text, _, _ = loop.run(collect(runner, {"prompt": "still here", "options": greedy(4)}))
        assert text
    finally:
        loop.run(runner.stop())


@pytest.mark.parametrize("kind", ["mlp", "qwen2vl"])
def test_a_cached_image_answers_as_a_fresh_one(loop: Loop, kind: str, vision_pair: Path, qwen2vl_pair: Path
                                               ) -> None:
    """The second prompt reuses the first one's image from the slot's cache and cuts the KV cache after it
    (at a position, not an index, for M-RoPE); its answer is a fresh runner's."""
    pair = vision_pair if kind == "mlp" else qwen2vl_pair
    if kind == "qwen2vl":
        model = Model(pair / "model.gguf")
        v = Vision(str(pair / "mmproj.gguf"), model, threads=1)
        (chunk,) = v.tokenize("[img-0]", [image(5, 40, 30)], False).images.values()
        assert v.mrope and chunk.n_pos < chunk.n_tokens
        v.close()

    def ask(prompt: str) -> tuple[str, int]:
        text, done, _ = loop.run(collect(runner, {"prompt": prompt, "images": [image(5, 40, 30)],
                                                  "add_special": False, "options": greedy(10)}))
        return text, done.prompt_eval_count

    runner = loop.start(pair / "model.gguf", ctx=256, projector=pair / "mmproj.gguf")
    try:
        first, n_first = ask("user: [img-0] hello there, what")
        warm, n_warm = ask("user: [img-0] goodbye")
    finally:
        loop.run(runner.stop())
    runner = loop.start(pair / "model.gguf", ctx=256, projector=pair / "mmproj.gguf")
    try:
        cold, n_cold = ask("user: [img-0] goodbye")
    finally:
        loop.run(runner.stop())
    assert warm == cold and warm != first
    assert n_warm < n_cold - 8  # the image came from the cache
