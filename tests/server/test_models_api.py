"""Model management over HTTP against the real server: blobs, create, tags, show, copy, delete."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_proc import Server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("store") / "models") as s:
        yield s


@pytest.fixture(scope="module")
def http(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as c:
        yield c


@pytest.fixture(scope="module")
def smol_digest(http: httpx.Client, smollm2: Path) -> str:
    data = smollm2.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert http.head(f"/api/blobs/{digest}").status_code == 404
    assert http.post(f"/api/blobs/{digest}", content=data).status_code == 201
    assert http.head(f"/api/blobs/{digest}").status_code == 200
    return digest


def blobs(srv: Server) -> set[str]:
    d = srv.models / "blobs"
    return {p.name for p in d.iterdir()} if d.exists() else set()


def lines(resp: httpx.Response) -> list[dict]:
    return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


def test_root_and_version(http: httpx.Client) -> None:
    assert http.get("/").text == "Ollama is running"
    assert http.head("/").status_code == 200
    assert "version" in http.get("/api/version").json()


def test_blob_upload_checks_digest(http: httpx.Client, srv: Server) -> None:
    before = blobs(srv)
    wrong = "sha256:" + hashlib.sha256(b"other").hexdigest()
    r = http.post(f"/api/blobs/{wrong}", content=b"payload")
    assert r.status_code == 400 and "digest" in r.json()["error"]
    assert blobs(srv) == before
    assert http.post("/api/blobs/sha256:zz", content=b"x").status_code == 400
    assert http.head("/api/blobs/md5:abc").status_code == 400


def test_create_from_gguf_blob_streams_progress(http: httpx.Client, smol_digest: str, srv: Server) -> None:
    r = http.post("/api/create", json={
        "model": "smol", "files": {"smollm2.gguf": smol_digest}, "system": "You are terse.",
        "parameters": {"temperature": 0.2, "stop": ["<|im_end|>", "User:"], "num_ctx": 2048},
        "license": ["MIT", "Apache"],
    })
    assert r.status_code == 200
    statuses = [x["status"] for x in lines(r)]
    assert statuses[0] == "parsing GGUF"
    assert f"using existing layer {smol_digest}" in statuses
    assert statuses[-2:] == ["writing manifest", "success"]
    manifest = srv.models / "manifests" / "registry.ollama.ai" / "library" / "smol" / "latest"
    assert json.loads(manifest.read_text())["layers"][0]["mediaType"] == "application/vnd.ollama.image.model"


def test_tags_lists_models(http: httpx.Client, smol_digest: str) -> None:
    models = http.get("/api/tags").json()["models"]
    smol = next(m for m in models if m["name"] == "smol:latest")
    assert smol["model"] == "smol:latest" and len(smol["digest"]) == 64
    assert smol["details"]["parameter_size"] == "134.52M"
    assert smol["details"]["quantization_level"] == "Q4_1"
    assert smol["details"]["family"] == "llama" and smol["details"]["format"] == "gguf"
    assert smol["size"] > 90_000_000
    assert http.head("/api/tags").status_code == 200


def test_show(http: httpx.Client, smol_digest: str) -> None:
    r = http.post("/api/show", json={"model": "smol"})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["system"] == "You are terse."
    assert s["license"] == "MIT\nApache"
    assert "temperature" in s["parameters"] and '"User:"' in s["parameters"]
    assert s["model_info"]["general.architecture"] == "llama"
    assert s["model_info"]["llama.context_length"] == 8192
    assert s["model_info"]["tokenizer.ggml.tokens"] == []
    assert "completion" in s["capabilities"]
    assert "FROM " in s["modelfile"] and 'SYSTEM' in s["modelfile"]
    verbose = http.post("/api/show", json={"model": "smol", "verbose": True}).json()
    assert len(verbose["model_info"]["tokenizer.ggml.tokens"]) == 49152


def test_create_from_existing_model_inherits(http: httpx.Client, smol_digest: str) -> None:
    r = http.post("/api/create", json={"model": "mario", "from": "smol", "system": "You are Mario.",
                                       "stream": False})
    assert r.status_code == 200 and r.json() == {"status": "success"}
    s = http.post("/api/show", json={"model": "mario"}).json()
    assert s["system"] == "You are Mario."
    assert "temperature" in s["parameters"]  # inherited parameters
    assert s["license"] == "MIT\nApache"


def test_legacy_modelfile_field(http: httpx.Client, smol_digest: str) -> None:
    r = http.post("/api/create", json={"name": "legacy", "modelfile": "FROM smol\nPARAMETER top_k 7\nSYSTEM hi",
                                       "stream": False})
    assert r.status_code == 200, r.text
    s = http.post("/api/show", json={"name": "legacy"}).json()
    assert s["system"] == "hi" and "top_k" in s["parameters"]


def test_copy_and_delete(http: httpx.Client, smol_digest: str, srv: Server) -> None:
    assert http.post("/api/copy", json={"source": "smol", "destination": "smol-backup:v1"}).status_code == 200
    names = {m["name"] for m in http.get("/api/tags").json()["models"]}
    assert {"smol:latest", "smol-backup:v1"} <= names
    r = http.request("DELETE", "/api/delete", json={"model": "smol-backup:v1"})
    assert r.status_code == 200
    assert (srv.models / "blobs" / smol_digest.replace(":", "-")).exists()  # still used by smol
    r = http.request("DELETE", "/api/delete", json={"model": "smol-backup:v1"})
    assert r.status_code == 404 and r.json() == {"error": "model 'smol-backup:v1' not found"}
    assert http.post("/api/copy", json={"source": "nope", "destination": "x"}).status_code == 404


def test_bad_inputs_change_nothing(http: httpx.Client, smol_digest: str, srv: Server) -> None:
    before = blobs(srv)
    cases = [
        ({"model": "bad1", "from": "smol", "template": "{{ .Prompt "}, 400),
        ({"model": "bad2", "from": "smol", "parameters": {"not_a_param": 1}}, 400),
        ({"model": "bad3", "from": "smol", "parameters": {"temperature": "hot"}}, 400),
        ({"model": "../evil", "from": "smol"}, 400),
        ({"model": "bad4", "from": "does-not-exist"}, 400),
        ({"model": "bad5", "files": {"x.gguf": "sha256:" + "0" * 64}}, 400),
        ({"model": "bad6"}, 400),
    ]
    for body, status in cases:
        r = http.post("/api/create", json=body)
        assert r.status_code == status, (body, r.text)
        assert "error" in r.json()
    assert blobs(srv) == before
    names = {m["name"] for m in http.get("/api/tags").json()["models"]}
    assert not any(n.startswith("bad") for n in names)


def test_not_gguf_file_rejected(http: httpx.Client, srv: Server) -> None:
    data = b"this is not a gguf file"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    http.post(f"/api/blobs/{digest}", content=data)
    r = http.post("/api/create", json={"model": "junk", "files": {"junk.gguf": digest}})
    assert r.status_code == 400 and "GGUF" in r.json()["error"]


def test_error_shapes(http: httpx.Client) -> None:
    r = http.post("/api/show", content=b"{not json")
    assert r.status_code == 400 and "error" in r.json()
    r = http.post("/api/show", json={"model": 5})
    assert r.status_code == 400 and "error" in r.json()
    r = http.post("/api/show", json={"model": "missing-model"})
    assert r.status_code == 404 and r.json() == {"error": "model 'missing-model' not found"}
    r = http.post("/api/show", json={"model": "a/b/c/d"})
    assert r.status_code == 400
    r = http.get("/api/show")
    assert r.status_code == 405 and "error" in r.json()
    r = http.get("/api/create")
    assert r.status_code == 405


def test_config_blob_has_ollamas_fields(http: httpx.Client, smol_digest: str, srv: Server) -> None:
    manifest = json.loads((srv.models / "manifests" / "registry.ollama.ai" / "library" / "smol" / "latest")
                          .read_text())
    assert manifest["schemaVersion"] == 2
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert manifest["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"
    config = json.loads((srv.models / "blobs" / manifest["config"]["digest"].replace(":", "-")).read_text())
    assert {k: config[k] for k in ("model_format", "model_family", "model_families", "model_type", "file_type")} \
        == {"model_format": "gguf", "model_family": "llama", "model_families": ["llama"], "model_type": "134.52M",
            "file_type": "Q4_1"}
    kinds = [layer["mediaType"].rsplit(".", 1)[-1] for layer in manifest["layers"]]
    assert kinds == ["model", "system", "params", "license", "license"]
    for layer in [manifest["config"], *manifest["layers"]]:  # every blob is what its digest says
        data = (srv.models / "blobs" / layer["digest"].replace(":", "-")).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == layer["digest"] and len(data) == layer["size"]


def test_requires_is_stored_shown_and_inherited(http: httpx.Client, smol_digest: str, srv: Server) -> None:
    r = http.post("/api/create", json={"model": "req", "modelfile": "FROM smol\nREQUIRES v0.14.0", "stream": False})
    assert r.status_code == 200, r.text
    s = http.post("/api/show", json={"model": "req"}).json()
    assert s["requires"] == "0.14.0" and s["modelfile"].endswith("REQUIRES 0.14.0\n")
    r = http.post("/api/create", json={"model": "req2", "from": "req", "system": "x", "stream": False})
    assert http.post("/api/show", json={"model": "req2"}).json()["requires"] == "0.14.0"
    r = http.post("/api/create", json={"model": "req3", "from": "req", "requires": "0.15.1", "stream": False})
    assert http.post("/api/show", json={"model": "req3"}).json()["requires"] == "0.15.1"
    assert "requires" not in http.post("/api/show", json={"model": "smol"}).json()
    before = blobs(srv)
    r = http.post("/api/create", json={"model": "req4", "from": "smol", "requires": "latest"})
    assert r.status_code == 400 and r.json() == {"error": 'invalid requires version: "latest" is not valid semantic version'}
    r = http.post("/api/create", json={"model": "req5", "modelfile": "FROM smol\nREQUIRES 1.2.3.4"})
    assert r.status_code == 400 and "semver" in r.json()["error"]
    assert blobs(srv) == before
    for name in ("req", "req2", "req3"):
        http.request("DELETE", "/api/delete", json={"model": name})


def test_show_modelfile_round_trips_through_create(http: httpx.Client, smol_digest: str) -> None:
    r = http.post("/api/create", json={
        "model": "rich", "from": "smol", "template": "{{ .System }}\nUSER: {{ .Prompt }}\nASSISTANT: ",
        "system": 'Say "hi"\nthen stop.', "parameters": {"top_p": 0.9, "stop": ["USER:", " end "], "seed": 3},
        "messages": [{"role": "user", "content": "a\nb"}, {"role": "assistant", "content": "c"}],
        "requires": "0.14.0", "stream": False,
    })
    assert r.status_code == 200, r.text
    first = http.post("/api/show", json={"model": "rich"}).json()
    r = http.post("/api/create", json={"model": "rich-copy", "modelfile": first["modelfile"], "stream": False})
    assert r.status_code == 200, r.text
    second = http.post("/api/show", json={"model": "rich-copy"}).json()
    for key in ("parameters", "template", "system", "license", "messages", "details", "requires", "capabilities"):
        assert second[key] == first[key], key
    assert second["modelfile"].replace("rich-copy:latest", "rich:latest") == first["modelfile"]
    for name in ("rich", "rich-copy"):
        http.request("DELETE", "/api/delete", json={"model": name})


def test_projector_file_gives_vision(http: httpx.Client, smol_digest: str, srv: Server, tmp_path: Path) -> None:
    import gguf
    import numpy as np

    proj = tmp_path / "mmproj.gguf"
    w = gguf.GGUFWriter(proj, "clip")
    w.add_bool("clip.has_vision_encoder", True)
    w.add_tensor("v.patch_embd.weight", np.zeros((4, 4), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    data = proj.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert http.post(f"/api/blobs/{digest}", content=data).status_code == 201
    only = http.post("/api/create", json={"model": "proj-only", "files": {"mmproj.gguf": digest}})
    assert only.status_code == 400 and "projector" in only.json()["error"]
    r = http.post("/api/create", json={"model": "seer", "files": {"model.gguf": smol_digest, "mmproj.gguf": digest},
                                       "stream": False})
    assert r.status_code == 200, r.text
    s = http.post("/api/show", json={"model": "seer"}).json()
    assert s["capabilities"] == ["completion", "vision"]
    assert s["projector_info"]["general.architecture"] == "clip"
    r = http.post("/api/chat", json={"model": "seer", "messages": [{"role": "user", "content": "?", "images": ["aGk="]}]})
    assert r.status_code == 400 and "invalid image data" in r.json()["error"]  # "hi" is no image
    manifest = json.loads((srv.models / "manifests" / "registry.ollama.ai" / "library" / "seer" / "latest")
                          .read_text())
    assert [(x["mediaType"], x["digest"]) for x in manifest["layers"]] == [
        ("application/vnd.ollama.image.model", smol_digest), ("application/vnd.ollama.image.projector", digest)]
    assert http.request("DELETE", "/api/delete", json={"model": "seer"}).status_code == 200
    assert not (srv.models / "blobs" / digest.replace(":", "-")).exists()  # no other model used it


def test_from_a_path_that_does_not_exist(http: httpx.Client, srv: Server) -> None:
    before = blobs(srv)
    for source, message in (("/no/such/model.gguf", "no such file or directory: /no/such/model.gguf"),
                            ("~/no-such-model.gguf", "no such file or directory: ~/no-such-model.gguf"),
                            ("./model.gguf", "'from' must be a model name or an absolute path, not './model.gguf'")):
        r = http.post("/api/create", json={"model": "p", "from": source})
        assert r.status_code == 400 and r.json() == {"error": message}
    assert blobs(srv) == before


def test_show_parameters_are_gos_percent_hash_v(http: httpx.Client, smol_digest: str) -> None:
    # Ollama's ShowHandler writes each value with fmt's %#v: floats without ".0", 1e+06, strings unescaped
    r = http.post("/api/create", json={"model": "params", "files": {"smol.gguf": smol_digest}, "stream": False,
                                       "parameters": {
        "temperature": 1.0, "top_k": 7, "repeat_penalty": 1000000.0, "stop": ["é", "x"], "use_mmap": True}})
    assert r.status_code == 200, r.text
    shown = http.post("/api/show", json={"model": "params"}).json()["parameters"].splitlines()
    assert shown == [f"{'repeat_penalty':<30} 1e+06", f"{'stop':<30} \"é\"", f"{'stop':<30} \"x\"",
                     f"{'temperature':<30} 1", f"{'top_k':<30} 7", f"{'use_mmap':<30} true"]
