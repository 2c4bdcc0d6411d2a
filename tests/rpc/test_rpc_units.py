"""The RPC pieces that need no model: endpoints, the bounded HELLO probe, the exposure warning, the layer
split, the layer tally, and how `pollama ps` shows a split model."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from pollama import rpc
from pollama.cli.models import _processor
from pollama.runner.llama import LoadError
from pollama.runner.rpc import LayerTally, offloaded, parse_split


@pytest.mark.parametrize("text", ["", "host", "host:", ":50052", "host:0", "host:70000", "host:5x", "::1:50052"])
def test_bad_endpoint_refused(text: str) -> None:
    with pytest.raises(rpc.RpcError, match="want host:port"):
        rpc.parse_endpoint(text)


def test_endpoint() -> None:
    assert rpc.parse_endpoint(" 10.0.0.2:50052 ") == ("10.0.0.2", 50052)


def _serve_once(reply: bytes | None) -> tuple[str, socket.socket]:
    """A loopback listener that answers the first HELLO with `reply` (None: accepts and stays silent)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(64)
            if reply is not None:
                conn.sendall(struct.pack("<Q", len(reply)) + reply)
            time.sleep(2)

    threading.Thread(target=answer, daemon=True).start()
    return f"127.0.0.1:{listener.getsockname()[1]}", listener


def test_probe_unreachable_names_the_server() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        endpoint = f"127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(rpc.RpcError, match=f"RPC server {endpoint} is unreachable"):
        rpc.probe(endpoint)


def test_probe_of_a_silent_server_is_bounded() -> None:
    endpoint, listener = _serve_once(None)
    t0 = time.monotonic()
    with listener, pytest.raises(rpc.RpcError, match=f"RPC server {endpoint} did not answer within 0.5s"):
        rpc.probe(endpoint, timeout=0.5)
    assert time.monotonic() - t0 < 3


def test_probe_version() -> None:
    endpoint, listener = _serve_once(bytes([rpc.PROTOCOL_MAJOR, 1, 2, 0]) + bytes(24))
    with listener:
        assert rpc.probe(endpoint) == (rpc.PROTOCOL_MAJOR, 1, 2)
    endpoint, listener = _serve_once(bytes([3, 0, 0, 0]) + bytes(24))
    with listener, pytest.raises(rpc.RpcError, match=f"RPC server {endpoint} speaks protocol 3.0.0"):
        rpc.probe(endpoint)
    endpoint, listener = _serve_once(b"HTTP/1.1 400")
    with listener, pytest.raises(rpc.RpcError, match="unexpected HELLO reply"):
        rpc.probe(endpoint)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "rpc.example.com", "::"])
def test_exposed_server_warns(host: str) -> None:
    assert "no authentication" in rpc.exposure_warning(host, 50052)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_server_does_not_warn(host: str) -> None:
    assert rpc.exposure_warning(host, 50052) == ""


def test_busy_port_is_a_clear_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "pollama", "rpc", "--port", str(port)], capture_output=True,
                             text=True, timeout=60)
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr


def test_split_weights() -> None:
    assert parse_split("1, 2,1", 2) == [1.0, 2.0, 1.0]
    for bad in ("1,1", "1,1,1,1", "a,b,c", "-1,1,1", "0,0,0", "nan,1,1"):
        with pytest.raises(LoadError, match="invalid tensor split"):
            parse_split(bad, 2)


def test_layers_offloaded_in_proportion() -> None:
    assert offloaded([1, 1, 1], 30) == 21  # 31 layers (30 blocks and the output), a third stays local
    assert offloaded([0, 1, 1], 30) == 31
    assert offloaded([1, 0, 0], 30) == 0
    assert offloaded([3, 1], 7) == 2


def test_layer_tally_reads_llama_cpp_log() -> None:
    tally = LayerTally()
    for i, dev in enumerate(["CPU", "CPU", "RPC0", "RPC0", "RPC1"]):
        tally(f"load_tensors: layer {i:3d} assigned to device {dev}, is_swa = 0\n")
    tally("load_tensors: offloaded 3/5 layers to GPU\n")
    assert tally.devices({"RPC0": "10.0.0.2:50052", "RPC1": "10.0.0.3:50052"}) == [{"device": "CPU", "layers": 2}, {"device": "10.0.0.2:50052", "layers": 2},
                                    {"device": "10.0.0.3:50052", "layers": 1}]


def test_ps_processor_column() -> None:
    assert _processor(0, 100, [{"device": "CPU", "layers": 31}]) == "100% CPU"
    assert _processor(0, 100, []) == "100% CPU"
    split = [{"device": "CPU", "layers": 10}, {"device": "10.0.0.2:50052", "layers": 21}]
    assert _processor(0, 100, split) == "CPU 10, 10.0.0.2:50052 21 layers"
