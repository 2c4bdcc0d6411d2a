"""Hold one model's load until a test lets it go, to see what the scheduler does while a load is in progress.

`LoadGate(folder, gguf)` writes a sitecustomize.py into `folder`; put `gate.env()` into the environment of
the server (or of this process, for an in-process scheduler): it reaches every runner through PYTHONPATH,
and a runner started for that GGUF's blob waits (at most a minute) until `gate.open()` before it loads
anything. Runners for other blobs start as usual.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["LoadGate"]

_SITE = """\
import os, sys, time

if os.environ.get("POLLAMA_TEST_GATED_BLOB", "\\0") in " ".join(sys.argv[1:]):
    deadline = time.monotonic() + 60
    while not os.path.exists(os.environ["POLLAMA_TEST_GATE"]) and time.monotonic() < deadline:
        time.sleep(0.05)
"""


class LoadGate:
    def __init__(self, folder: Path, gguf: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sitecustomize.py").write_text(_SITE)
        self.folder = folder
        self.blob = "sha256-" + hashlib.sha256(gguf.read_bytes()).hexdigest()
        self.opened = folder / "open"

    def env(self) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(self.folder), os.environ.get("PYTHONPATH", "")) if p)
        return {"PYTHONPATH": path, "POLLAMA_TEST_GATED_BLOB": self.blob, "POLLAMA_TEST_GATE": str(self.opened)}

    def open(self) -> None:
        self.opened.touch()
