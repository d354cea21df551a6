"""What `hub up` shows a person at a terminal: each part's JSON log lines go,
whole, to ``<part>.log`` in the log folder (``.hub/logs/`` beside the state
folder), and the terminal gets one readable line per routed event and every
warning and error, in colour (structlog's ConsoleRenderer). Lines that are not
JSON (a crash before logging is set up) are shown as they are.

Without a terminal, or with ``HUB_ENV=production``, nothing changes: the parts'
JSON goes to stderr for whatever collects it.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
import structlog

from hub.settings import Settings

_SHOWN_LEVELS = {"warning", "error", "critical", "exception"}
# What a routed line says, in this order, from the worker's route.selected record.
_ROUTED_FIELDS = ("priority", "queue", "risk", "event_id")


def logs_dir(settings: Settings) -> Path:
    """``logs`` in the hub's folder (``.hub/logs`` by default), created."""
    path = settings.hub_path / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def for_terminal(settings: Settings, stream: IO[str] = sys.stderr) -> Console | None:
    """A Console when a person is watching ``stream``; None for JSON on stderr."""
    if settings.env == "production" or not stream.isatty():
        return None
    return Console(logs_dir(settings), stream)


class Console:
    def __init__(self, directory: Path, out: IO[str]) -> None:
        self.directory, self.out = directory, out
        self._render = structlog.dev.ConsoleRenderer(colors=True)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def follow(self, part: str, stream: IO[bytes]) -> None:
        """Copy ``stream`` (a part's stderr) to its log file and show what matters,
        until the part closes it."""
        thread = threading.Thread(target=self._copy, args=(part, stream), daemon=True,
                                  name=f"console-{part}")
        thread.start()
        self._threads.append(thread)

    def close(self, timeout: float = 5.0) -> None:
        """Wait for the parts' last lines (call once they have exited)."""
        for thread in self._threads:
            thread.join(timeout)

    def _copy(self, part: str, stream: IO[bytes]) -> None:
        # This thread must read to the end whatever happens: a part whose stderr pipe
        # fills up blocks on its next log line.
        showing = True
        with stream, (self.directory / f"{part}.log").open("ab") as log:
            for raw in iter(stream.readline, b""):
                log.write(raw)
                log.flush()
                line = self.line(part, raw) if showing else None
                if line is not None:
                    try:
                        with self._lock:
                            print(line, file=self.out, flush=True)
                    except OSError:  # the terminal went away: the file still gets it all
                        showing = False

    def line(self, part: str, raw: bytes) -> str | None:
        """The terminal line for one log line of ``part``, or None to keep it to the file."""
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            text = raw.decode("utf-8", "replace").rstrip()
            return f"{part}: {text}" if text else None
        level = str(record.get("level", "info"))
        if record.get("event") == "route.selected":
            shown: dict[str, Any] = {
                "event": f"routed → {record.get('topic')}", "level": "info",
                **{k: record[k] for k in _ROUTED_FIELDS if record.get(k) is not None}}
        elif level in _SHOWN_LEVELS:
            shown = {k: v for k, v in record.items() if k != "logger"}
            if isinstance(shown.get("exception"), list):
                shown["exception"] = _traceback(shown["exception"])
        else:
            return None
        shown["timestamp"] = _clock(record.get("timestamp"))
        shown["logger"] = part
        try:
            return self._render(None, level, shown)
        except Exception:  # noqa: BLE001 - a line we cannot render is shown raw, never lost
            return f"{part}: {raw.decode('utf-8', 'replace').rstrip()}"


def _traceback(exceptions: list) -> str:
    """The JSON traceback (structlog's ExceptionDictTransformer) as Python prints it."""
    lines = ["Traceback (most recent call last):"]
    for exc in exceptions if all(isinstance(e, dict) for e in exceptions) else ():
        lines += [f'  File "{f.get("filename")}", line {f.get("lineno")}, in {f.get("name")}'
                  for f in exc.get("frames", []) if isinstance(f, dict)]
        lines.append(f"{exc.get('exc_type')}: {exc.get('exc_value')}")
    return "\n".join(lines)


def _clock(timestamp: Any) -> str:
    """Local wall-clock time of an ISO timestamp: a person at a terminal reads 14:33:02."""
    try:
        return datetime.fromisoformat(str(timestamp)).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return str(timestamp or "")
