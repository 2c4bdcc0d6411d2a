"""Quantize a GGUF with llama.cpp's quantizer, in a child process (a bad file can abort llama.cpp).

Run as `python -m pollama.quantize SRC DST TYPE`.
"""

from __future__ import annotations

import asyncio
import errno
import os
import sys
from pathlib import Path

__all__ = ["QUANT_TYPES", "QuantizeError", "quantize", "SOURCE_TYPES"]

# Ollama's accepted names (case-insensitive) -> llama_ftype
QUANT_TYPES = {"q4_k_m": 15, "q4_k_s": 14, "q8_0": 7, "q4_0": 2, "q4_1": 3, "q5_k_m": 17, "q5_k_s": 16,
               "q6_k": 18, "q3_k_m": 12, "q3_k_s": 11, "q3_k_l": 13, "q5_0": 8, "q5_1": 9, "q2_k": 10}
SOURCE_TYPES = {"F32", "F16", "BF16"}


class QuantizeError(RuntimeError):
    pass


async def quantize(src: Path, dst: Path, qtype: str, threads: int = 0) -> None:
    ftype = QUANT_TYPES.get(qtype.lower())
    if ftype is None:
        raise QuantizeError(f"unsupported quantization type {qtype}")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pollama.quantize", str(src), str(dst), str(ftype), str(threads),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode != 0 and _full(dst.parent):
        # llama.cpp words a failed write "basic_ios::clear: iostream error"; name the cause instead
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
    if proc.returncode != 0:
        lines = [ln for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        raise QuantizeError("quantization failed: " + (lines[-1] if lines else f"exit {proc.returncode}"))


def _full(folder: Path) -> bool:
    """Less than 1 MiB left for this user: what a write failing for want of space leaves."""
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize < (1 << 20)


def _main(argv: list[str]) -> int:
    import llama_cpp

    src, dst, ftype, threads = argv[0], argv[1], int(argv[2]), int(argv[3])
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), params)
    if rc != 0:
        print(f"llama_model_quantize returned {rc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
