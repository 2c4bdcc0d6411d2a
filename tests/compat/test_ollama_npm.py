"""The official `ollama` npm package (Node) against pollama, for what the Python client does not cover:
version(), abort() of one or all streams, Uint8Array images, errors thrown from inside a stream.

The package is installed by scripts/install.sh --test (`npm ci` in tests/compat/node)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from server_proc import Server
from test_ollama_client import closed_port

NODE_DIR = Path(__file__).parent / "node"
CHECKS = ["version", "list show ps", "chat stream matches non-stream", "generate stream matches non-stream",
          "abort one stream", "abort all streams", "images as Uint8Array reach the server", "embed and embeddings",
          "create copy delete", "errors keep their status", "pull and push to an unreachable registry"]


def test_ollama_npm_client(compat_server: Server) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed for the npm client test"
    assert (NODE_DIR / "node_modules" / "ollama" / "package.json").is_file(), (
        "run `npm ci --prefix tests/compat/node` (scripts/install.sh --test does it)")
    done = subprocess.run([node, "compat.mjs", compat_server.url, str(closed_port())], cwd=NODE_DIR,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split("\n")[:-1] == [f"ok {name}" for name in CHECKS] + ["all ok"], done.stdout
