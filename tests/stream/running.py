"""Runs a stage on the real broker until a condition holds, then stops it: what
every runner test does around its own stage and its own idea of done."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable

from hub.stream.runner import Options, Runner


async def run_until(stage, options: Options, done: Callable[[Runner], bool | Awaitable[bool]],
                    what: str, tries: int = 300) -> Runner:
    """`done(runner)` is asked every 0.1 s; `what` says what was awaited when it never held."""
    runner = Runner(stage, options)
    await runner.start()
    task = asyncio.create_task(runner.run())
    try:
        for _ in range(tries):
            held = done(runner)
            if inspect.isawaitable(held):
                held = await held
            if held:
                return runner
            if task.done():  # the runner died: its exception says why
                task.result()
            await asyncio.sleep(0.1)
        raise AssertionError(f"never happened: {what}")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runner.stop()
