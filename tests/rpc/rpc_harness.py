"""`pollama rpc` processes on loopback for the RPC tests, and a TCP relay that counts the bytes sent to one."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

from polling import wait_until
from server_proc import free_port

from pollama import rpc

__all__ = ["RpcServer", "CountingRelay"]


class RpcServer:
    """`pollama rpc --port P [--cache DIR]`, its output in `log`."""

    def __init__(self, log: Path, cache: Path | None = None, threads: int = 1) -> None:
        self.port = free_port()
        self.threads = threads
        self.endpoint = f"127.0.0.1:{self.port}"
        self.cache = cache
        self.log_path = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RpcServer:
        args = [sys.executable, "-m", "pollama", "rpc", "--port", str(self.port), "--threads", str(self.threads)]
        if self.cache is not None:
            args += ["--cache", str(self.cache)]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        assert wait_until(lambda: self.answers() or self.proc.poll() is not None, 60), "pollama rpc did not start"
        assert self.proc.poll() is None, self.log_path.read_text()
        return self

    def answers(self) -> bool:
        try:
            rpc.probe(self.endpoint, timeout=5)
            return True
        except rpc.RpcError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if getattr(self, "log", None):
            self.log.close()


class CountingRelay:
    """Relays loopback connections to `target` and counts the bytes clients send through it."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.sent = 0
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while data := src.recv(1 << 20):
                dst.sendall(data)
                if count:
                    with self._lock:
                        self.sent += len(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()
