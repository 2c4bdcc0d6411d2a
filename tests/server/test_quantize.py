"""`quantize` on create goes through llama.cpp's quantizer; only F16/F32 sources are accepted."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.tiny_gguf import make_tiny_llama
from model_upload import create_from_gguf
from server_proc import Server


def test_quantize_f16_to_q8_0_and_q4_k_m(server: Server, tmp_path: Path) -> None:
    src = make_tiny_llama(tmp_path / "f16.gguf", n_embd=256, n_ff=512, file_type="f16")
    with server.client() as http:
        create_from_gguf(http, "f16", src)
        assert http.post("/api/show", json={"model": "f16"}).json()["details"]["quantization_level"] == "F16"
        r = http.post("/api/create", json={"model": "q8", "from": "f16", "quantize": "q8_0"})
        statuses = [json.loads(x)["status"] for x in r.text.splitlines()]
        assert "quantizing F16 model to Q8_0" in statuses and statuses[-1] == "success", r.text
        q8 = http.post("/api/show", json={"model": "q8"}).json()
        assert q8["details"]["quantization_level"] == "Q8_0"
        r = http.post("/api/create", json={"model": "q4", "from": "f16", "quantize": "q4_K_M", "stream": False})
        assert r.status_code == 200, r.text
        assert http.post("/api/show", json={"model": "q4"}).json()["details"]["quantization_level"] == "Q4_K_M"
        out = http.post("/api/generate", json={"model": "q8", "prompt": "hi", "raw": True, "stream": False,
                                               "options": {"num_predict": 5}})
        assert out.status_code == 200 and out.json()["eval_count"] == 5
        blobs_before = set((server.models / "blobs").iterdir())
        r = http.post("/api/create", json={"model": "qq", "from": "q8", "quantize": "q4_K_M"})
        assert r.status_code == 400 and "F16" in r.json()["error"]
        r = http.post("/api/create", json={"model": "qx", "from": "f16", "quantize": "q9_z"})
        assert r.status_code == 400 and "q9_z" in r.json()["error"]
        assert set((server.models / "blobs").iterdir()) == blobs_before
