"""Child processes that cannot outlive the process that started them."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn``: the kernel kills the child when its parent dies, even by
    SIGKILL, which no handler of the parent could see (Linux only; harmless
    elsewhere). SIGKILL, not SIGTERM: a worker whose broker died with the
    parent spent ~20 s retrying connections in its graceful stop, and a `hub
    up` started again meanwhile found it alive on the new broker (bench/chaos
    routed one event twice). Every part is built to be SIGKILLed. The kernel
    ties it to the *thread* that forked: start children from a thread that
    lives as long as they should (the main thread, as `hub up` and the test
    fixtures do)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(argv: list[str], env: dict[str, str] | None = None,
          log: Path | None = None, pipe_stderr: bool = False) -> subprocess.Popen:
    """Start ``argv`` in a session of its own (a Ctrl-C in the terminal reaches
    only the parent, which stops its children in order) that dies with us."""
    out: IO[bytes] | int | None = open(log, "ab") if log else None  # noqa: SIM115
    try:
        return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT if log else (
                                    subprocess.PIPE if pipe_stderr else None),
                                start_new_session=True,
                                preexec_fn=die_with_parent)  # noqa: PLW1509
    finally:
        if out is not None:
            out.close()  # the child has its own copy
