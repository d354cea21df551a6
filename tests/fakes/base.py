"""One event loop in a background thread hosting the fakes, so that both an
async test and a dispatcher child process reach them over real HTTP/SMTP on
127.0.0.1 (port 0: the kernel picks)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import uuid
from collections.abc import Coroutine
from typing import Any

import uvicorn


class FakeLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._servers: list[uvicorn.Server] = []
        self._closers: list[Any] = []
        self._serving: list[Any] = []

    def run(self, coro: Coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def serve_http(self, app: Any) -> str:
        """Serves ``app`` on a fresh loopback port; returns its base URL."""
        # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say
        # so, and without it each answer waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                               access_log=False))
        self._serving.append(asyncio.run_coroutine_threadsafe(server.serve(sockets=[sock]),
                                                              self.loop))
        self._servers.append(server)
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    def add_closer(self, closer: Any) -> None:
        self._closers.append(closer)

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        for serving in self._serving:
            with contextlib.suppress(Exception):
                serving.result(5)
        for closer in self._closers:
            self.loop.call_soon_threadsafe(closer)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Script:
    """Failures a test asks for: the next ``n`` acceptable requests answered
    with ``answer`` instead of success."""

    def __init__(self) -> None:
        self._queue: list[Any] = []
        self._lock = threading.Lock()

    def fail_next(self, n: int, answer: Any) -> None:
        with self._lock:
            self._queue += [answer] * n

    def take(self) -> Any:
        with self._lock:
            return self._queue.pop(0) if self._queue else None


def request_id() -> str:
    return str(uuid.uuid4()).upper()
