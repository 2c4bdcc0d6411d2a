"""The store is byte-compatible with Ollama's layout; writes are atomic and verified."""

import dataclasses
import datetime as dt
import errno
import hashlib
import json
import os
import random
import threading
from pathlib import Path

import pytest

import pollama.prompt.render
from pollama.api.errors import BadRequest, ModelNotFound
from pollama.store import (
    MEDIA,
    DigestMismatch,
    Layer,
    Manifest,
    Model,
    Store,
    StoreError,
    load_model,
    parse_name,
)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_ollama_store(root: Path, gguf_bytes: bytes) -> dict[str, str]:
    """Lay out a model exactly as Ollama writes it (by hand, from the layout rules)."""
    blobs = root / "blobs"
    blobs.mkdir(parents=True)
    layers = {
        "model": gguf_bytes,
        "template": b"{{ .System }} USER: {{ .Prompt }} ASSISTANT: ",
        "system": b"You are a pirate.",
        "params": json.dumps({"stop": ["USER:"], "temperature": 0.5}).encode(),
        "license": b"Apache-2.0 text",
    }
    digests = {}
    for kind, data in layers.items():
        d = sha(data)
        (blobs / d.replace(":", "-")).write_bytes(data)
        digests[kind] = d
    config = json.dumps({"model_format": "gguf", "model_family": "llama", "model_families": ["llama"],
                         "model_type": "134.52M", "file_type": "Q4_1", "architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": list(digests.values())}}).encode()
    (blobs / sha(config).replace(":", "-")).write_bytes(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": sha(config),
                   "size": len(config)},
        "layers": [{"mediaType": f"application/vnd.ollama.image.{k}", "digest": digests[k],
                    "size": len(layers[k])} for k in layers],
    }
    mpath = root / "manifests" / "registry.ollama.ai" / "library" / "pirate" / "latest"
    mpath.parent.mkdir(parents=True)
    mpath.write_text(json.dumps(manifest, indent=2))
    return {"config": sha(config), **digests}


def test_reads_a_store_written_by_ollama(tmp_path: Path, smollm2: Path) -> None:
    digests = write_ollama_store(tmp_path, smollm2.read_bytes())
    store = Store(tmp_path)
    model = load_model(store, parse_name("pirate"))
    assert model.template == "{{ .System }} USER: {{ .Prompt }} ASSISTANT: "
    assert model.system == "You are a pirate."
    assert model.params == {"stop": ["USER:"], "temperature": 0.5}
    assert model.license == ["Apache-2.0 text"]
    assert model.model_path == tmp_path / "blobs" / digests["model"].replace(":", "-")
    assert model.details()["quantization_level"] == "Q4_1"
    assert model.details()["family"] == "llama"
    assert [n.display for n, _ in store.iter_manifests()] == ["pirate:latest"]
    # the same manifest through any spelling of the name
    assert load_model(store, parse_name("registry.ollama.ai/library/PIRATE:latest")).digest == model.digest


def test_written_manifest_is_what_ollama_reads(tmp_path: Path) -> None:
    store = Store(tmp_path)
    d, size = store.write_blob_bytes(b"weights")
    c, csize = store.write_blob_bytes(b"{}")
    m = Manifest(config=Layer("application/vnd.docker.container.image.v1+json", c, csize),
                 layers=[Layer(MEDIA["model"], d, size)])
    store.write_manifest(parse_name("x/y:z"), m)
    path = tmp_path / "manifests" / "registry.ollama.ai" / "x" / "y" / "z"
    raw = json.loads(path.read_text())
    assert raw["schemaVersion"] == 2
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert raw["layers"][0] == {"mediaType": "application/vnd.ollama.image.model", "digest": d, "size": 7}
    assert (tmp_path / "blobs" / d.replace(":", "-")).read_bytes() == b"weights"
    assert not [p for p in (tmp_path / "blobs").iterdir() if p.name.startswith(".")]


def test_blob_digest_is_verified(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with pytest.raises(DigestMismatch):
        store.write_blob([b"abc"], expected=sha(b"abd"))
    assert list((tmp_path / "blobs").iterdir()) == []
    with pytest.raises(BadRequest):
        store.write_blob([b"abc"], expected="sha256:xyz")


def test_manifest_must_reference_present_blobs(tmp_path: Path) -> None:
    store = Store(tmp_path)
    m = Manifest(config=Layer("c", sha(b"nope"), 4))
    with pytest.raises(BadRequest):
        store.write_manifest(parse_name("a"), m)
    assert not (tmp_path / "manifests").exists() or not list((tmp_path / "manifests").rglob("*a*"))


def test_delete_keeps_shared_blobs(tmp_path: Path) -> None:
    store = Store(tmp_path)
    shared, _ = store.write_blob_bytes(b"shared")
    own, _ = store.write_blob_bytes(b"own")
    cfg, _ = store.write_blob_bytes(b"{}")
    store.write_manifest(parse_name("a"), Manifest(Layer("c", cfg, 2), [Layer(MEDIA["model"], shared, 6),
                                                                         Layer(MEDIA["system"], own, 3)]))
    store.write_manifest(parse_name("b"), Manifest(Layer("c", cfg, 2), [Layer(MEDIA["model"], shared, 6)]))
    store.delete(parse_name("a"))
    assert store.has_blob(shared) and store.has_blob(cfg)
    assert not store.has_blob(own)
    store.delete(parse_name("b"))
    assert list((tmp_path / "blobs").iterdir()) == []
    with pytest.raises(ModelNotFound):
        store.delete(parse_name("b"))


def test_prune_removes_orphans_but_keeps_partial_downloads(tmp_path: Path) -> None:
    store = Store(tmp_path)
    orphan, _ = store.write_blob_bytes(b"orphan")
    partial = tmp_path / "blobs" / (orphan.replace(":", "-") + "-partial")
    partial.write_bytes(b"half")
    assert store.prune() == 1
    assert not store.has_blob(orphan) and partial.exists()


def _model(store: Store, name: str, own: bytes, shared: bytes = b"shared weights") -> Manifest:
    """A manifest under `name` with a shared layer, an own one and a config."""
    with store.hold() as hold:
        layers = [Layer(MEDIA[kind], *store.write_blob_bytes(data, hold))
                  for kind, data in (("model", shared), ("system", own))]
        manifest = Manifest(Layer("c", *store.write_blob_bytes(b"{}", hold)), layers)
        store.write_manifest(parse_name(name), manifest)
    return manifest


def _blob_names(store: Store) -> set[str]:
    return {p.name for p in store.blobs.iterdir()}


def test_overwrite_removes_the_replaced_layers_nothing_else_uses(tmp_path: Path) -> None:
    store = Store(tmp_path)
    old = _model(store, "a", b"old")
    _model(store, "b", b"kept by b")
    store.copy(parse_name("b"), parse_name("c"))
    new = _model(store, "a", b"new")
    assert not store.has_blob(sha(b"old")) and store.has_blob(sha(b"new"))
    assert store.has_blob(old.layers[0].digest)  # still used
    store.copy(parse_name("a"), parse_name("c"))  # c's old version was b's: its layers are b's too
    assert store.has_blob(sha(b"kept by b"))
    store.delete(parse_name("b"))
    assert _blob_names(store) == {d.replace(":", "-") for d in new.digests()}


def test_noprune_keeps_the_replaced_layers(tmp_path: Path) -> None:
    store = Store(tmp_path, noprune=True)
    old = _model(store, "a", b"old")
    new = _model(store, "a", b"new")
    assert store.has_blob(sha(b"old")) and store.has_blob(sha(b"new"))
    assert _blob_names(store) == {d.replace(":", "-") for d in old.digests() | new.digests()}


def test_a_held_blob_outlives_a_delete_until_the_hold_ends(tmp_path: Path) -> None:
    store = Store(tmp_path)
    manifest = _model(store, "a", b"own")
    with store.hold() as hold:
        assert store.pin(hold, manifest.digests()) == []
        store.delete(parse_name("a"))
        assert store.prune() == 0
        assert all(store.has_blob(d) for d in manifest.digests())
    assert _blob_names(store) == set()
    with store.hold() as hold:
        assert store.pin(hold, [sha(b"gone")]) == [sha(b"gone")]


def test_a_failed_writer_takes_back_only_the_blobs_it_wrote(tmp_path: Path) -> None:
    store = Store(tmp_path)
    uploaded, _ = store.write_blob_bytes(b"uploaded")
    with pytest.raises(RuntimeError), store.hold() as hold:
        store.write_blob_bytes(b"written", hold)
        store.write_blob_bytes(b"uploaded", hold)
        raise RuntimeError("create failed")
    assert _blob_names(store) == {uploaded.replace(":", "-")}


def test_a_folder_in_the_way_of_a_manifest_is_a_clear_500(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _model(store, "a", b"own")
    folder = tmp_path / "manifests" / "registry.ollama.ai" / "library" / "dst"
    folder.write_text("not a folder")
    with pytest.raises(StoreError) as e:
        store.copy(parse_name("a"), parse_name("dst"))
    assert e.value.status == 500 and e.value.message == f"mkdir {folder}: file exists"
    assert [n.display for n, _ in store.iter_manifests()] == ["a:latest"]


def test_a_full_disk_is_a_clear_500_and_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    _model(store, "a", b"own")
    before = _blob_names(store)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError, match=r"^write .*/blobs/\.incoming-\w+\.tmp: no space left on device$"):
        store.write_blob_bytes(b"new")
    with pytest.raises(StoreError, match=r"^write .*/library/b/latest: no space left on device$"):
        store.copy(parse_name("a"), parse_name("b"))
    assert _blob_names(store) == before
    assert [p.name for p in (tmp_path / "manifests").rglob("*") if p.is_file()] == ["latest"]


def test_store_operations_from_many_threads_keep_it_consistent(tmp_path: Path) -> None:
    """Writes, copies, deletes and prunes on four shared names: no operation fails but with 'not found',
    and at the end every manifest is whole, every blob it names is there and no other blob is."""
    store = Store(tmp_path)
    names = [parse_name(n) for n in ("a", "b", "c", "d")]
    failures: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for i in range(60):
            op, name, other = rng.choice("wwcdp"), rng.choice(names), rng.choice(names)
            try:
                if op == "w":
                    _model(store, str(name), f"{seed}-{i}".encode(), shared=rng.choice([b"s1", b"s2"]))
                elif op == "c":
                    store.copy(other, name)
                elif op == "d":
                    store.delete(name)
                else:
                    store.prune()
            except ModelNotFound:
                pass
            except Exception as e:  # collected for the assertion below
                failures.append(e)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    referenced: set[str] = set()
    for name, _ in store.iter_manifests():
        manifest = store.read_manifest(name)
        assert all(store.has_blob(d) for d in manifest.digests())
        referenced |= manifest.digests()
    assert _blob_names(store) == {d.replace(":", "-") for d in referenced}


def test_capabilities_are_computed_once_per_model(monkeypatch: pytest.MonkeyPatch) -> None:
    real, calls = pollama.prompt.render.template_capabilities, []

    def counted(*args: object) -> set[str]:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pollama.prompt.render, "template_capabilities", counted)
    model = Model(parse_name("a"), Manifest(Layer("c", sha(b"{}"), 2)), sha(b"m"), {}, dt.datetime.now(),
                  template="{{ .Prompt }}")
    assert [model.capabilities for _ in range(3)] == [["completion"]] * 3 and len(calls) == 1
    tools = dataclasses.replace(model, template="{{ if .Tools }}{{ .Tools }}{{ end }}{{ .Prompt }}")
    assert tools.capabilities == ["completion", "tools"] and model.capabilities == ["completion"]
    assert len(calls) == 2
