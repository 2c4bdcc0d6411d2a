"""llama.cpp's RPC backend (ggml-rpc, built into llama-cpp-python with -DGGML_RPC=ON), both ends.

`serve` runs the backend's own server on this machine's CPU (`pollama rpc`); a runner reaches servers
through `pollama.runner.rpc`. Both go through the library llama-cpp-python ships, by ctypes.

The RPC protocol has no authentication, and a server serves one client at a time: while one runner is
connected, another one's connection waits. `probe` checks an endpoint with the protocol's HELLO under a
time limit, because llama.cpp's own client aborts the process when it cannot connect and waits forever
for a server that is busy.
"""

from __future__ import annotations

import ctypes
import functools
import ipaddress
import os
import signal
import socket
import struct
import sys
import types
from pathlib import Path
from typing import Any

__all__ = ["RpcError", "DEFAULT_PORT", "PROTOCOL_MAJOR", "parse_endpoint", "probe", "library", "exposure_warning", "serve"]

DEFAULT_PORT = 50052  # llama.cpp's rpc-server default
PROTOCOL_MAJOR = 7  # RPC_PROTO_MAJOR_VERSION of the vendored llama.cpp (ggml-rpc.h)
_CMD_HELLO = 14
_CAPS_SIZE = 24  # RPC_CONN_CAPS_SIZE: the HELLO request's payload, and the reply's after 4 version bytes
_DEVICE_CPU = 0  # GGML_BACKEND_DEVICE_TYPE_CPU


class RpcError(RuntimeError):
    """An RPC server that cannot be used; the message names it."""


def parse_endpoint(text: str) -> tuple[str, int]:
    """`host:port` as ggml-rpc reads it (the host up to the first colon, so no IPv6 literal)."""
    host, sep, port = text.strip().partition(":")
    if not sep or not host or ":" in port or not port.isdigit() or not 0 < int(port) < 65536:
        raise RpcError(f"invalid RPC server '{text}' (want host:port)")
    return host, int(port)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def probe(endpoint: str, timeout: float = 10.0) -> tuple[int, int, int]:
    """Connect and say HELLO within `timeout` seconds; the server's protocol version. RpcError naming the
    endpoint when it cannot be reached, does not answer (busy with another client) or speaks another version."""
    host, port = parse_endpoint(endpoint)
    try:
        sock = socket.create_connection((host, port), timeout=min(timeout, 5.0))
    except OSError as e:
        raise RpcError(f"RPC server {endpoint} is unreachable: {e.strerror or e}") from None
    with sock:
        sock.settimeout(timeout)
        try:
            sock.sendall(struct.pack("<BQ", _CMD_HELLO, _CAPS_SIZE) + bytes(_CAPS_SIZE))
            size = struct.unpack("<Q", _recv_exact(sock, 8))[0]
            reply = _recv_exact(sock, size) if size == 4 + _CAPS_SIZE else b""
        except TimeoutError:
            raise RpcError(f"RPC server {endpoint} did not answer within {timeout:g}s: it serves one client at "
                           "a time, is another runner or llama.cpp client connected to it?") from None
        except OSError as e:
            raise RpcError(f"RPC server {endpoint} closed the connection: {e}") from None
    if not reply:
        raise RpcError(f"RPC server {endpoint} sent an unexpected HELLO reply (not a llama.cpp RPC server?)")
    version = (reply[0], reply[1], reply[2])
    if version[0] != PROTOCOL_MAJOR:
        raise RpcError(f"RPC server {endpoint} speaks protocol {'.'.join(map(str, version))}, this build "
                       f"needs {PROTOCOL_MAJOR}.x: run the same pollama (llama-cpp-python) version on every host")
    return version


def _loaded_copy(lib_dir: Path, name: str) -> Path:
    """The file of library `name` that libllama loaded: its soname (`name.so.0`). A wheel holds no symbolic
    links, so `name.so` is a second copy, with globals of its own (the abort hook, the backend registry)."""
    soname = lib_dir / f"{name}.so.0"
    return soname if soname.exists() else lib_dir / f"{name}.so"


@functools.cache
def library() -> Any:
    """llama-cpp-python's ggml with its RPC backend (functions typed); RpcError when it was built without."""
    import llama_cpp  # loads libllama and the ggml libraries it links

    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    try:
        base, ggml, rpc = (ctypes.CDLL(str(_loaded_copy(lib_dir, name)))
                           for name in ("libggml-base", "libggml", "libggml-rpc"))
    except OSError:
        raise RpcError("llama-cpp-python was built without the RPC backend: run scripts/install.sh, which "
                       "builds it with -DGGML_RPC=ON") from None
    vp, sz = ctypes.c_void_p, ctypes.c_size_t
    sigs: list[tuple[Any, str, Any, list[Any]]] = [
        (rpc, "ggml_backend_rpc_start_server", None, [ctypes.c_char_p, ctypes.c_char_p, sz, sz, vp]),
        (rpc, "ggml_backend_rpc_add_server", vp, [ctypes.c_char_p]),
        (ggml, "ggml_backend_dev_by_type", vp, [ctypes.c_int]),
        (base, "ggml_backend_reg_dev_count", sz, [vp]),
        (base, "ggml_backend_reg_dev_get", vp, [vp, sz]),
        (base, "ggml_backend_dev_name", ctypes.c_char_p, [vp]),
        (base, "ggml_backend_dev_memory", None, [vp, ctypes.POINTER(sz), ctypes.POINTER(sz)]),
        (base, "ggml_set_abort_callback", vp, [vp]),
    ]
    funcs = {}
    for lib, name, restype, argtypes in sigs:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
        funcs[name] = fn
    return types.SimpleNamespace(**funcs)


def device_memory(dev: int) -> tuple[int, int]:
    """(free, total) bytes of a ggml device."""
    free, total = ctypes.c_size_t(), ctypes.c_size_t()
    library().ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
    return free.value, total.value


def cpu_device() -> int:
    dev = library().ggml_backend_dev_by_type(_DEVICE_CPU)
    if not dev:
        raise RpcError("llama.cpp has no CPU backend")
    return int(dev)


def _check_bind(host: str, port: int) -> None:
    """Fail with a clear message before the C server would fail with a vague one."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        raise RpcError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def exposure_warning(host: str, port: int) -> str:
    """The warning for a server reachable from other machines ("" on a loopback address)."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return ""
    return (f"WARNING: the RPC server listens on {host}:{port}. llama.cpp's RPC protocol has no authentication "
            "or encryption: anyone who can reach this port can allocate memory, read and write tensors and run "
            "computations on this machine. Never expose it to an open network; use it only on a trusted "
            "private one.\n")


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT, threads: int = 0, cache: Path | None = None) -> None:
    """Serve this machine's CPU to llama.cpp RPC clients until killed (never returns normally)."""
    parse_endpoint(f"{host}:{port}")
    lib = library()
    _check_bind(host, port)
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RpcError(f"cannot make the cache directory {cache}: {e.strerror or e}") from None
    if threads <= 0:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    sys.stderr.write(exposure_warning(host, port))
    sys.stderr.write(f"pollama rpc: serving the CPU ({threads} threads) on {host}:{port}, weight cache: "
                     f"{cache or 'off'}\n")
    sys.stderr.flush()
    devices = (ctypes.c_void_p * 1)(cpu_device())
    # the C server blocks in accept(): Python could not run its handlers, so a signal must end the process
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    sys.stdout.flush()
    lib.ggml_backend_rpc_start_server(f"{host}:{port}".encode(), str(cache).encode() if cache else None,
                                      threads, 1, devices)
    raise RpcError(f"the RPC server on {host}:{port} stopped")
