"""The page's files, without a browser: every file is in the wheel's package data, every module import and
every file index.html names exists, each vendored library keeps its licence, and the files are served
with the page's Content-Security-Policy (and no key needed) while the API keeps asking for one."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pollama.config import settings
from pollama.server.app import create_app
from pollama.server.ui import CSP, UI_DIR

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(p for p in UI_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_every_file_of_the_page_ships_in_the_wheel() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["pollama.ui"]
    missing = [p for p in FILES if p.suffix != ".py"
               and not any(p.relative_to(UI_DIR).match(pattern) or (pattern.startswith("vendor/**")
                                                                   and p.relative_to(UI_DIR).parts[0] == "vendor")
                           for pattern in patterns)]
    assert missing == []


@pytest.mark.parametrize("module", [p for p in FILES if p.suffix == ".js" and "vendor" not in p.parts],
                         ids=lambda p: p.name)
def test_module_imports_resolve(module: Path) -> None:
    imports = re.findall(r'^import .* from "(\.[^"]+)";$', module.read_text(), re.M)
    assert imports or module.name in {"api.js", "store.js", "images.js"}
    assert [i for i in imports if not (module.parent / i).is_file()] == []


def test_index_names_only_existing_files_and_no_inline_script() -> None:
    html = (UI_DIR / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="/ui/([^"]+)"', html)
    assert "app.js" in refs and [r for r in refs if not (UI_DIR / r).is_file()] == []
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert re.findall(r"<[^>]*\son[a-z]+\s*=", html, re.I) == []  # no inline event handlers


def test_each_vendored_library_keeps_its_licence() -> None:
    for library in ("marked", "dompurify", "highlight.js"):
        assert (UI_DIR / "vendor" / library / "LICENSE").stat().st_size > 500


def test_the_files_load_without_a_key_and_carry_the_csp() -> None:
    cfg = dataclasses.replace(settings(), api_keys=("k",))
    with TestClient(create_app(cfg), base_url="http://127.0.0.1") as http:
        for path in ("/ui", "/ui/", "/ui/app.js", "/ui/vendor/dompurify/purify.es.js", "/ui/style.css"):
            r = http.get(path)
            assert r.status_code == 200 and r.headers["content-security-policy"] == CSP, path
            assert r.headers["x-content-type-options"] == "nosniff"
        assert http.get("/ui/app.js").headers["content-type"].startswith("text/javascript")
        for sneaky in ("/ui/%2e%2e/pyproject.toml", "/ui/%2e%2e/api/tags"):  # no way out of /ui without a key
            assert http.get(sneaky).status_code == 404, sneaky
        assert http.get("/ui/nothing.js").status_code == 404
        assert http.post("/ui").status_code == 405
        assert http.get("/api/tags").status_code == 401  # the API still needs the key
        assert http.get("/api/tags", headers={"Authorization": "Bearer k"}).status_code == 200
        assert http.get("/").text == "Ollama is running"
