"""The README's serve command imports the bundled SmolLM2 as `smollm2:135m` when it is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _run(models: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pollama.bundled"], env={**os.environ, "OLLAMA_MODELS": str(models)},
                          capture_output=True, text=True, timeout=120)


def test_default_model_is_imported_once(tmp_path: Path, smollm2: Path) -> None:
    models = tmp_path / "models"
    first = _run(models)
    assert first.returncode == 0, first.stderr
    assert "smollm2:135m: imported into" in first.stderr
    manifest_path = models / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m"
    manifest = json.loads(manifest_path.read_text())
    model_layer = manifest["layers"][0]
    assert model_layer["mediaType"] == "application/vnd.ollama.image.model"
    assert model_layer["size"] == smollm2.stat().st_size
    assert (models / "blobs" / model_layer["digest"].replace(":", "-")).stat().st_size == smollm2.stat().st_size
    stamp = manifest_path.stat().st_mtime_ns
    second = _run(models)
    assert second.returncode == 0 and "smollm2:135m: already in" in second.stderr
    assert manifest_path.stat().st_mtime_ns == stamp
