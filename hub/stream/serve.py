"""How a stage process (worker, dispatcher) runs: until SIGTERM or Ctrl-C, or
until one of its tasks ends on its own, whose error then says why."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterable

from hub.stream.runner import Runner


async def until_stopped(tasks: Iterable[asyncio.Future], runners: Iterable[Runner]) -> None:
    tasks = list(tasks)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({*tasks, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in done - {stopping}:
            task.result()  # a task that stopped on its own says why
    finally:
        for task in (*tasks, stopping):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for runner in runners:
            await runner.stop()
