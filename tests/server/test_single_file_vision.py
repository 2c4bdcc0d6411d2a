"""Ollama's single-file vision models over HTTP: a tiny random gemma3 with its vision tower inside one GGUF, in
Ollama's layout (scripts/make_tiny_vision_model.py --kind gemma3-single), created from that one file and split
at load time into the text GGUF and CLIP projector llama.cpp loads. Plus the name and key mapping itself."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gguf
import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from model_upload import upload_blob
from server_proc import Server
from test_images_api import BLUE, GREEDY, RED

from pollama.api.errors import APIError
from pollama.store.split import clip_name, split_model

IMAGE_TOKENS = 16 + 2  # mm.tokens_per_image, then <start_of_image> and <end_of_image> around them
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_tiny_vision_model.py"


@pytest.fixture(scope="module")
def gemma3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gemma3")
    subprocess.run([sys.executable, str(SCRIPT), str(out), "--kind", "gemma3-single"], check=True, timeout=120,
                   capture_output=True)
    return out / "gemma3.gguf"


def create(http: httpx.Client, name: str, path: Path) -> str:
    digest = upload_blob(http, path)
    r = http.post("/api/create", json={"model": name, "files": {path.name: digest}, "stream": False})
    assert r.status_code == 200, r.text
    return digest


@pytest.fixture(scope="module")
def srv(module_server: Any, gemma3: Path) -> Server:
    s: Server = module_server({})
    with s.client() as http:
        s.digest = create(http, "g3", gemma3)  # type: ignore[attr-defined]
    return s


@pytest.fixture(scope="module")
def http(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as c:
        yield c


def ask(http: httpx.Client, images: list[str] | None, model: str = "g3") -> httpx.Response:
    msg: dict[str, Any] = {"role": "user", "content": "What is in the picture?", **({"images": images} if images else {})}
    return http.post("/api/chat", json={"model": model, "messages": [msg], "stream": False, "options": GREEDY})


def answer(http: httpx.Client, images: list[str] | None) -> dict[str, Any]:
    r = ask(http, images)
    assert r.status_code == 200, r.text
    return r.json()


def fresh(http: httpx.Client) -> None:
    assert http.post("/api/generate", json={"model": "g3", "keep_alive": 0}).status_code == 200


def split_files(srv: Server) -> list[Path]:
    folder = srv.models / ".pollama-split" / srv.digest.replace(":", "-")  # type: ignore[attr-defined]
    return [folder / "model.gguf", folder / "mmproj.gguf"]


# ---- over HTTP -------------------------------------------------------------------------------------------
def test_show_keeps_the_model_as_stored(http: httpx.Client) -> None:
    show = http.post("/api/show", json={"model": "g3"}).json()
    assert "vision" in show["capabilities"]
    assert show["model_info"]["general.architecture"] == "gemma3"
    assert "projector_info" not in show


def test_images_reach_the_model(http: httpx.Client) -> None:
    red = answer(http, [RED])["message"]["content"]
    assert red and answer(http, [RED])["message"]["content"] == red
    assert answer(http, [BLUE])["message"]["content"] != red


def test_image_tokens_count(http: httpx.Client) -> None:
    counts = []
    for images in (None, [RED], [RED, BLUE]):
        fresh(http)
        counts.append(answer(http, images)["prompt_eval_count"])
    assert counts[1] == counts[0] + IMAGE_TOKENS
    assert counts[2] == counts[1] + IMAGE_TOKENS


def test_text_only(http: httpx.Client) -> None:
    assert answer(http, None)["message"]["content"]
    r = http.post("/api/generate", json={"model": "g3", "prompt": "Hello", "stream": False, "options": GREEDY})
    assert r.status_code == 200 and r.json()["response"]


def test_the_split_is_made_once(http: httpx.Client, srv: Server) -> None:
    answer(http, [RED])
    before = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in split_files(srv)]
    fresh(http)
    answer(http, [BLUE])  # a new runner, from the same split
    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in split_files(srv)] == before
    assert not [p for p in split_files(srv)[0].parent.parent.iterdir() if p.name.startswith(".tmp-")]


def rewrite(src: Path, dest: Path, changed: dict[str, str | None]) -> Path:
    """A copy of the GGUF `src` with the string keys `changed` set (None: left out)."""
    reader = gguf.GGUFReader(src)
    w = gguf.GGUFWriter(dest, str(reader.fields["general.architecture"].contents()))
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        if key not in changed:
            w.add_key_value(key, field.contents(), field.types[0], field.types[-1] if len(field.types) > 1 else None)
        elif (value := changed[key]) is not None:
            w.add_string(key, value)
    for t in reader.tensors:
        w.add_tensor(t.name, t.data, raw_dtype=t.tensor_type)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return dest


def test_a_broken_single_file_is_a_clear_error(http: httpx.Client, gemma3: Path, tmp_path: Path) -> None:
    broken = rewrite(gemma3, tmp_path / "broken.gguf", {"gemma3.vision.image_size": None})
    create(http, "g3-broken", broken)
    r = ask(http, [RED], model="g3-broken")
    assert r.status_code == 500
    assert "cannot split" in r.json()["error"] and "gemma3.vision.image_size" in r.json()["error"]
    assert http.get("/api/version").status_code == 200
    assert answer(http, [RED])["message"]["content"]  # the good one still works


def test_other_architectures_are_a_501_naming_them(http: httpx.Client, tmp_path: Path) -> None:
    path = make_tiny_llama(tmp_path / "single.gguf", extra_kv={"llama.vision.block_count": 1})
    create(http, "llama-single", path)
    r = ask(http, [RED], model="llama-single")
    assert r.status_code == 501 and 'architecture "llama"' in r.json()["error"]


def test_deleting_the_model_removes_its_split(http: httpx.Client, srv: Server) -> None:
    answer(http, [RED])
    assert all(p.is_file() for p in split_files(srv))
    fresh(http)
    assert http.request("DELETE", "/api/delete", json={"model": "g3"}).status_code == 200
    assert not split_files(srv)[0].parent.exists()


# ---- the mapping -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("ollama", "llama_cpp"), [
    ("v.patch_embedding.weight", "v.patch_embd.weight"), ("v.patch_embedding.bias", "v.patch_embd.bias"),
    ("v.position_embedding.weight", "v.position_embd.weight"), ("v.post_layernorm.bias", "v.post_ln.bias"),
    ("v.blk.0.attn_q.weight", "v.blk.0.attn_q.weight"), ("v.blk.11.attn_output.bias", "v.blk.11.attn_out.bias"),
    ("v.blk.3.layer_norm1.weight", "v.blk.3.ln1.weight"), ("v.blk.3.layer_norm2.bias", "v.blk.3.ln2.bias"),
    ("v.blk.26.mlp.fc1.weight", "v.blk.26.ffn_up.weight"), ("v.blk.26.mlp.fc2.bias", "v.blk.26.ffn_down.bias"),
    ("mm.mm_input_projection.weight", "mm.input_projection.weight"),
    ("mm.mm_soft_emb_norm.weight", "mm.soft_emb_norm.weight"),
    ("blk.0.attn_q.weight", None), ("token_embd.weight", None), ("output_norm.weight", None),
])
def test_tensor_names(ollama: str, llama_cpp: str | None) -> None:
    assert clip_name("gemma3", ollama) == llama_cpp


@pytest.mark.parametrize("name", ["v.blk.0.mlp.fc3.weight", "mm.other.weight", "v.blk.x.attn_q.weight"])
def test_an_unknown_vision_tensor_is_refused(name: str) -> None:
    with pytest.raises(APIError, match="unknown vision tensor"):
        clip_name("gemma3", name)


def test_split_keys(gemma3: Path, tmp_path: Path) -> None:
    model, mmproj = split_model(gemma3, tmp_path / "split")
    clip = {k: f.contents() for k, f in gguf.GGUFReader(mmproj).fields.items()}
    assert clip["general.architecture"] == "clip" and clip["clip.projector_type"] == "gemma3"
    assert clip["clip.vision.image_size"] == 32 and clip["clip.vision.patch_size"] == 4
    assert clip["clip.vision.embedding_length"] == 32 and clip["clip.vision.projection_dim"] == 64
    assert clip["clip.vision.projector.scale_factor"] == 2  # 8 patches a side pooled to 4: 16 tokens
    assert clip["clip.vision.image_mean"] == [0.5, 0.5, 0.5] and clip["clip.has_vision_encoder"] is True
    text = gguf.GGUFReader(model)
    keys = {k: f.contents() for k, f in text.fields.items()}
    assert keys["general.architecture"] == "gemma3"
    assert not [k for k in keys if k.startswith(("gemma3.vision.", "gemma3.mm."))]
    assert keys["gemma3.rope.freq_base"] == 1e6 and keys["gemma3.rope.freq_base_swa"] == 10000.0
    assert keys["gemma3.attention.layer_norm_rms_epsilon"] == pytest.approx(1e-6)
    stored = len(gguf.GGUFReader(gemma3).fields["tokenizer.ggml.tokens"].data)
    rows = next(int(t.shape[1]) for t in text.tensors if t.name == "token_embd.weight")
    assert len(keys["tokenizer.ggml.tokens"]) == len(keys["tokenizer.ggml.token_type"]) == rows == stored - 1
    assert not [t.name for t in text.tensors if t.name.startswith(("v.", "mm."))]
    patch = next(t for t in gguf.GGUFReader(mmproj).tensors if t.name == "v.patch_embd.weight")
    assert patch.tensor_type == gguf.GGMLQuantizationType.F32  # Ollama's F16, made F32 as llama.cpp's
    assert split_model(gemma3, tmp_path / "split") == (model, mmproj)  # reused
