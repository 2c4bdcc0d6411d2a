"""Images over HTTP, on a tiny vision pair written by scripts/make_tiny_vision_model.py (a random llama and a
LLaVA-mlp projector giving 16 tokens per image), created from both files as from a real pair."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from model_upload import upload_blob
from PIL import Image
from server_proc import Server

from pollama.inference.images import MAX_IMAGE_PIXELS

IMAGE_TOKENS = 16  # (image_size 32 / patch_size 8) ** 2
GREEDY = {"temperature": 0, "seed": 7, "num_predict": 12}


def png(color: tuple[int, int, int], size: tuple[int, int] = (40, 30), fmt: str = "PNG") -> str:
    """A base64 image: two halves, `color` and its inverse (so the projector sees structure)."""
    img = Image.new("RGB", size, color)
    img.paste(tuple(255 - c for c in color), (0, 0, size[0] // 2, size[1]))
    buf = io.BytesIO()
    img.save(buf, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return base64.b64encode(buf.getvalue()).decode()


RED, BLUE = png((220, 30, 30)), png((20, 40, 230))


@pytest.fixture(scope="module")
def srv(module_server: Any, vision_pair: Path) -> Server:
    pair = vision_pair
    s: Server = module_server({"OLLAMA_NUM_PARALLEL": "4"})
    with s.client() as http:
        files = {"model.gguf": upload_blob(http, pair / "model.gguf"),
                 "mmproj.gguf": upload_blob(http, pair / "mmproj.gguf")}
        r = http.post("/api/create", json={"model": "tv", "files": files, "stream": False})
        assert r.status_code == 200, r.text
        r = http.post("/api/create", json={"model": "text-only", "files": {"model.gguf": files["model.gguf"]},
                                           "stream": False})
        assert r.status_code == 200, r.text
    return s


def chat(http: httpx.Client, messages: list[dict[str, Any]], model: str = "tv", **extra: Any) -> dict[str, Any]:
    r = http.post("/api/chat", json={"model": model, "messages": messages, "stream": False,
                                     "options": GREEDY, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def fresh(http: httpx.Client, model: str = "tv") -> None:
    """Unload `model`: its next request loads it anew, with nothing in its prefix cache."""
    r = http.post("/api/generate", json={"model": model, "keep_alive": 0})
    assert r.status_code == 200, r.text


def ask(http: httpx.Client, images: list[str] | None = None, text: str = "What is in the picture?",
        **extra: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "user", "content": text}
    if images:
        msg["images"] = images
    return chat(http, [msg], **extra)


def test_created_from_two_files_has_vision(http: httpx.Client) -> None:
    show = http.post("/api/show", json={"model": "tv"}).json()
    assert "vision" in show["capabilities"]
    assert show["projector_info"]["general.architecture"] == "clip"
    assert "vision" not in http.post("/api/show", json={"model": "text-only"}).json()["capabilities"]


def test_image_tokens_are_counted(http: httpx.Client) -> None:
    counts = []
    for images in (None, [RED], [RED, BLUE]):
        fresh(http)  # nothing from the prefix cache
        counts.append(ask(http, images)["prompt_eval_count"])
    assert counts[1] == counts[0] + IMAGE_TOKENS
    assert counts[2] == counts[1] + IMAGE_TOKENS


def test_the_image_reaches_the_model(http: httpx.Client) -> None:
    red = ask(http, [RED])["message"]["content"]
    assert red and ask(http, [RED])["message"]["content"] == red
    assert ask(http, [BLUE])["message"]["content"] != red
    # the same pixels in another format (lossless WebP, a two-colour GIF): the same answer
    for fmt in ("WEBP", "GIF"):
        assert ask(http, [png((220, 30, 30), fmt=fmt)])["message"]["content"] == red, fmt


def test_text_is_unchanged_by_the_projector(http: httpx.Client) -> None:
    with_projector = ask(http)["message"]["content"]
    assert with_projector == ask(http, model="text-only")["message"]["content"]


def test_generate_with_images(http: httpx.Client) -> None:
    body = {"model": "tv", "prompt": "Describe it.", "images": [RED], "stream": False, "options": GREEDY}
    rendered = http.post("/api/generate", json={**body, "_debug_render_only": True}).json()
    assert "[img-0]Describe it." in rendered["_debug_info"]["rendered_template"]
    r = http.post("/api/generate", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["response"]
    assert all(t >= 0 for t in r.json()["context"])  # an image's placeholders never leave the server
    raw = http.post("/api/generate", json={**body, "raw": True, "prompt": "[img-0] Describe it."}).json()
    assert raw["prompt_eval_count"] >= IMAGE_TOKENS


def test_tags_in_chat_templates(http: httpx.Client) -> None:
    messages = [{"role": "user", "content": "first [img] then", "images": [RED, BLUE]},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": "and this?", "images": [RED]}]
    r = http.post("/api/chat", json={"model": "tv", "messages": messages, "_debug_render_only": True})
    rendered = r.json()["_debug_info"]["rendered_template"]
    assert "[img-1]first [img-0] then" in rendered and "[img-2]and this?" in rendered
    assert chat(http, messages)["prompt_eval_count"] > 3 * IMAGE_TOKENS


def test_second_turn_does_not_evaluate_the_image_again(http: httpx.Client) -> None:
    first = [{"role": "user", "content": "Look at this.", "images": [BLUE]}]
    answer = chat(http, first)["message"]
    follow = first + [answer, {"role": "user", "content": "And the colour?"}]
    again = chat(http, follow)["prompt_eval_count"]
    other = [{**first[0], "images": [RED]}, answer, follow[-1]]
    fresh = chat(http, other)["prompt_eval_count"]  # the same turn about an image not seen yet
    assert fresh - again >= IMAGE_TOKENS


def test_session_messages_with_images(http: httpx.Client) -> None:
    # what `/save` in the REPL creates and `/load` uses: the model's MESSAGE history carries the image
    r = http.post("/api/create", json={"model": "tv-session", "from": "tv", "stream": False,
                                       "messages": [{"role": "user", "content": "see", "images": [RED]},
                                                    {"role": "assistant", "content": "seen"}]})
    assert r.status_code == 200, r.text
    fresh(http, "tv-session")
    out = chat(http, [{"role": "user", "content": "what was it?"}], model="tv-session")
    fresh(http)
    plain = chat(http, [{"role": "user", "content": "see"}, {"role": "assistant", "content": "seen"},
                        {"role": "user", "content": "what was it?"}])
    assert out["prompt_eval_count"] == plain["prompt_eval_count"] + IMAGE_TOKENS


def test_openai_and_anthropic_images(http: httpx.Client) -> None:
    expected = ask(http, [RED], text="Name it.")["message"]["content"]
    r = http.post("/v1/chat/completions", json={
        "model": "tv", "temperature": 0, "seed": 7, "max_tokens": 12,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Name it."},
                                                  {"type": "image_url",
                                                   "image_url": {"url": "data:image/png;base64," + RED}}]}]})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == expected
    fresh(http)
    r = http.post("/v1/messages", json={
        "model": "tv", "max_tokens": 12, "temperature": 0,
        "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": RED}},
            {"type": "text", "text": "Name it."}]}]})
    assert r.status_code == 200, r.text
    assert r.json()["content"][0]["text"] == expected
    assert r.json()["usage"]["input_tokens"] > IMAGE_TOKENS


def _rate(result: dict[str, Any]) -> float:
    return result["eval_count"] / result["eval_duration"] * 1e9


def test_concurrent_image_and_text_requests(http: httpx.Client) -> None:
    text = {"role": "user", "content": "Tell me a long story."}
    opts = {"temperature": 0, "seed": 1, "num_predict": 48}

    def run(msg: dict[str, Any]) -> dict[str, Any]:
        r = http.post("/api/chat", json={"model": "tv", "messages": [msg], "stream": False, "options": opts})
        assert r.status_code == 200, r.text
        return r.json()

    alone = [run(text) for _ in range(2)]
    imgs = [{**text, "content": f"Story {i}:", "images": [png((40 * i, 90, 200 - 30 * i))]} for i in range(2)]
    with ThreadPoolExecutor(4) as pool:
        t0 = time.monotonic()
        mixed = list(pool.map(run, [text, imgs[0], {**text, "content": "Another story."}, imgs[1]]))
        assert time.monotonic() - t0 < 60
    assert all(m["done"] and m["eval_count"] > 0 for m in mixed)
    assert mixed[1]["prompt_eval_count"] > IMAGE_TOKENS and mixed[3]["prompt_eval_count"] > IMAGE_TOKENS
    baseline = sum(map(_rate, alone)) / 2
    beside = (_rate(mixed[0]) + _rate(mixed[2])) / 2
    # four sequences share each step (each a bit slower); the images must not stall them for long
    assert beside > 0.25 * baseline, (beside, baseline)


def _bad(http: httpx.Client, image: str) -> str:
    r = http.post("/api/chat", json={"model": "tv", "stream": False,
                                     "messages": [{"role": "user", "content": "hi", "images": [image]}]})
    assert r.status_code == 400, r.text
    return str(r.json()["error"])


def _huge() -> str:
    side = int(MAX_IMAGE_PIXELS ** 0.5) + 1
    buf = io.BytesIO()
    Image.new("L", (side, side)).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_bad_images_are_400s_and_the_runner_stays_up(http: httpx.Client) -> None:
    before = ask(http, [RED])["message"]["content"]
    good = base64.b64decode(RED)
    bmp = io.BytesIO()
    Image.new("RGB", (8, 8)).save(bmp, "BMP")
    assert "unsupported image format" in _bad(http, base64.b64encode(b"not an image at all").decode())
    assert "invalid image data" in _bad(http, base64.b64encode(good[: len(good) // 2]).decode())
    assert "too large" in _bad(http, _huge())
    big = png((1, 2, 3), size=(4096, 4096))  # at the limit for one image; four are over a request's
    r = http.post("/api/chat", json={"model": "tv", "stream": False, "messages": [
        {"role": "user", "content": "a", "images": [big, big]}, {"role": "user", "content": "b", "images": [big, big]}]})
    assert r.status_code == 400 and "images too large" in r.json()["error"]
    assert "unsupported image format" in _bad(http, base64.b64encode(bmp.getvalue()).decode())
    assert "not base64" in _bad(http, "@@@")
    r = http.post("/api/generate", json={"model": "tv", "prompt": "x", "images": ["@@@"], "stream": False})
    assert r.status_code == 400
    r = http.post("/v1/chat/completions", json={"model": "tv", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]})
    assert r.status_code == 400 and "image URLs are not currently supported" in r.text
    r = http.post("/v1/chat/completions", json={"model": "tv", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(b"xx").decode()}}]}]})
    assert r.status_code == 400
    r = http.post("/v1/messages", json={"model": "tv", "max_tokens": 4, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]}]})
    assert r.status_code == 400
    r = http.post("/api/chat", json={"model": "text-only", "messages": [
        {"role": "user", "content": "hi", "images": [RED]}]})
    assert r.status_code == 400 and "does not support images" in r.text
    assert ask(http, [RED])["message"]["content"] == before  # same runner, same answer


def test_cli_run_with_an_image_path(http: httpx.Client, srv: Server, tmp_path: Path) -> None:
    r = http.post("/api/create", json={"model": "tv-greedy", "from": "tv", "parameters": GREEDY, "stream": False})
    assert r.status_code == 200, r.text
    (tmp_path / "red.png").write_bytes(base64.b64decode(RED))
    expected = ask(http, [RED], text="describe", model="tv-greedy")["message"]["content"]
    env = {**os.environ, "OLLAMA_HOST": srv.url, "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "pollama", "run", "tv-greedy", "describe ./red.png"], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Added image './red.png'" in out.stderr
    assert out.stdout.strip() == expected.strip()


def test_vision_inside_the_model_gguf_is_a_clear_501(http: httpx.Client, tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "single.gguf", extra_kv={"llama.vision.block_count": 1})
    r = http.post("/api/create", json={"model": "single", "files": {path.name: upload_blob(http, path)},
                                       "stream": False})
    assert r.status_code == 200, r.text
    assert "vision" in http.post("/api/show", json={"model": "single"}).json()["capabilities"]
    r = http.post("/api/chat", json={"model": "single", "messages": [{"role": "user", "content": "?",
                                                                      "images": [RED]}]})
    assert r.status_code == 501 and "vision tower inside the model GGUF" in r.json()["error"]
    assert chat(http, [{"role": "user", "content": "hi"}], model="single")["message"]["content"]
