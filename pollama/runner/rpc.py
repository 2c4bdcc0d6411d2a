"""Where a runner's model goes: the local CPU and llama.cpp RPC servers (OLLAMA_RPC_SERVERS).

`Offload` checks each server (a bounded HELLO, see pollama.rpc), registers it as a llama.cpp device and
decides how many of the model's layers leave this machine: the local CPU and each RPC device take a share
in proportion to their free memory, or to the weights of POLLAMA_TENSOR_SPLIT (one for the local CPU,
then one per RPC device). llama.cpp then puts the first layers on the CPU and spreads the rest over the
devices by those weights. `LayerTally` reads back, from llama.cpp's log, where each layer went.

A server that dies later makes llama.cpp abort the runner (its RPC client has no other way to fail); the
abort hook first writes which server is unreachable, so the request's error names it.
"""

from __future__ import annotations

import ctypes
import re
import socket
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import llama_cpp as lc

from pollama import rpc
from pollama.gguf import read_gguf
from pollama.runner import llama

__all__ = ["Offload", "LayerTally", "parse_split", "offloaded", "load_model"]

_LAYER_LINE = re.compile(r"load_tensors: layer +(\d+) assigned to device ([^,\s]+)")
_abort_hook: Any = None  # the ctypes callback must outlive every abort it may see


def parse_split(text: str, n_devices: int) -> list[float]:
    """POLLAMA_TENSOR_SPLIT: the local CPU's weight, then one per RPC device (e.g. `0,1,1`)."""
    try:
        weights = [float(w) for w in text.split(",")]
    except ValueError:
        weights = []
    if len(weights) != n_devices + 1 or any(not w >= 0 for w in weights) or sum(weights) <= 0:
        raise llama.LoadError(f"invalid tensor split '{text}': want {n_devices + 1} non-negative weights, "
                              "the local CPU's first, then one per RPC device")
    return weights


def offloaded(weights: Sequence[float], n_layer: int) -> int:
    """How many of llama.cpp's n_layer + 1 layers (the output layer counts) leave the local CPU, whose weight
    is the first."""
    return round((n_layer + 1) * sum(weights[1:]) / sum(weights))


class Offload:
    """The RPC devices a model is spread over, and the weight of each (the local CPU first)."""

    def __init__(self, endpoints: Sequence[str], split: str = "") -> None:
        try:
            for endpoint in endpoints:
                rpc.probe(endpoint)
            lib = rpc.library()
            self.devices: list[int] = []
            self.names: dict[str, str] = {}  # llama.cpp's device name (RPC0, ...) -> the endpoint
            for endpoint in endpoints:
                reg = lib.ggml_backend_rpc_add_server(endpoint.encode())
                count = lib.ggml_backend_reg_dev_count(reg) if reg else 0
                if not count:
                    raise rpc.RpcError(f"RPC server {endpoint} offers no device")
                for i in range(count):
                    dev = int(lib.ggml_backend_reg_dev_get(reg, i))
                    self.devices.append(dev)
                    self.names[lib.ggml_backend_dev_name(dev).decode()] = endpoint + (f"#{i}" if i else "")
            free = [rpc.device_memory(d)[0] for d in (rpc.cpu_device(), *self.devices)]
        except rpc.RpcError as e:
            raise llama.LoadError(str(e)) from None
        self.weights = parse_split(split, len(self.devices)) if split else [float(f) for f in free]
        _note_aborts(list(endpoints))
        self._keep: list[Any] = []

    def apply(self, params: Any, path: Path) -> None:
        """Set a model's load parameters: its devices, the layers they take and how those divide."""
        n_layer = int(read_gguf(path, tensors=False).arch_key("block_count", 0) or 0)
        devices = (ctypes.c_void_p * (len(self.devices) + 1))(*self.devices, None)
        split = (ctypes.c_float * lc.llama_max_devices())(*self.weights[1:])
        self._keep = [devices, split]  # llama.cpp reads both during the load
        params.devices = ctypes.addressof(devices)
        params.tensor_split = ctypes.cast(split, ctypes.POINTER(ctypes.c_float))
        params.n_gpu_layers = offloaded(self.weights, n_layer)


class LayerTally:
    """The layers llama.cpp assigned to each device while a model loaded (its `load_tensors` log lines)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, line: str) -> None:
        if m := _LAYER_LINE.search(line):
            self.counts[m[2]] += 1

    @contextmanager
    def listening(self) -> Iterator[LayerTally]:
        llama.log_listeners.append(self)
        try:
            yield self
        finally:
            llama.log_listeners.remove(self)

    def devices(self, names: dict[str, str]) -> list[dict[str, Any]]:
        """[{"device": "CPU" or an RPC server's host:port (from `names`), "layers": n}, ...] in the order of the
        layers (llama.cpp assigns them first to last: the local CPU's, then each device's in turn)."""
        return [{"device": names.get(d, d), "layers": n} for d, n in self.counts.items()]


def _reachable(endpoint: str) -> bool:
    try:
        with socket.create_connection(rpc.parse_endpoint(endpoint), timeout=1.0):
            return True
    except (OSError, rpc.RpcError):
        return False


def _note_aborts(endpoints: list[str]) -> None:
    """Before llama.cpp aborts the runner, write its message and which RPC server is gone to stderr (the
    server reports the runner's last stderr line with the failed request)."""
    global _abort_hook

    def on_abort(message: bytes | None) -> None:
        sys.stderr.write((message or b"").decode("utf-8", "replace").rstrip() + "\n")
        dead = [ep for ep in endpoints if not _reachable(ep)]
        if dead:
            sys.stderr.write(f"RPC server {', '.join(dead)} is unreachable: it stopped or the network failed\n")
        elif b"rpc" in (message or b"").lower():  # it answers again (restarted, or still closing when probed)
            sys.stderr.write(f"an RPC server failed ({', '.join(endpoints)}): it stopped, restarted or sent a "
                             "malformed response\n")
        sys.stderr.flush()

    _abort_hook = ctypes.CFUNCTYPE(None, ctypes.c_char_p)(on_abort)
    rpc.library().ggml_set_abort_callback(ctypes.cast(_abort_hook, ctypes.c_void_p))


def load_model(path: str | Path, loras: list[str], servers: str = "", split: str = "") -> tuple[llama.Model,
                                                                                                 list[dict[str, Any]]]:
    """Load the model over the local CPU and the RPC servers (comma-separated host:port, may be empty);
    the model and where its layers went (`LayerTally.devices`)."""
    endpoints = [s.strip() for s in servers.split(",") if s.strip()]
    offload = Offload(endpoints, split) if endpoints else None
    with LayerTally().listening() as tally:
        model = llama.Model(path, loras, offload)
    return model, tally.devices(offload.names if offload else {})
