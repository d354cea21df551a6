"""hub.console: which log lines a person at a terminal sees, and when it applies."""

from __future__ import annotations

import io
import os
import pty
import re

import orjson

from hub.console import Console, for_terminal
from hub.settings import load_settings

PLAIN = re.compile(r"\x1b\[[0-9;]*m")


def line(raw: bytes, tmp_path) -> str | None:
    shown = Console(tmp_path, io.StringIO()).line("worker", raw)
    return PLAIN.sub("", shown) if shown is not None else None


def test_routed_events_and_warnings_are_shown_info_is_not(tmp_path):
    base = {"timestamp": "2026-11-22T01:30:15.123Z", "logger": "hub.worker"}
    routed = line(orjson.dumps({**base, "event": "route.selected", "level": "info",
                                "topic": "hub.routed.vip.complaint", "queue": "vip-care",
                                "priority": "P1", "risk": 4, "event_id": "e1",
                                "customer_matched_by": "phone"}), tmp_path)
    assert "routed → hub.routed.vip.complaint" in routed and "[worker]" in routed
    assert "priority=P1 queue=vip-care risk=4" in routed.replace("event_id=e1 ", "")
    assert "customer_matched_by" not in routed
    warned = line(orjson.dumps({**base, "event": "customers.stale", "level": "warning",
                                "behind_s": 12}), tmp_path)
    assert "warning" in warned and "customers.stale" in warned and "behind_s=12" in warned
    assert line(orjson.dumps({**base, "event": "webhook.accepted", "level": "info"}),
                tmp_path) is None


def test_an_error_with_a_traceback_reads_as_python_prints_it(tmp_path):
    shown = line(orjson.dumps({
        "event": "webhook.failed", "level": "error", "timestamp": "2026-11-22T01:30:15Z",
        "exception": [{"exc_type": "ValueError", "exc_value": "boom", "frames": [
            {"filename": "hub/gateway/app.py", "lineno": 60, "name": "receive"}]}]}), tmp_path)
    assert "webhook.failed" in shown and "Traceback (most recent call last):" in shown
    assert 'File "hub/gateway/app.py", line 60, in receive' in shown
    assert "ValueError: boom" in shown


def test_a_record_the_renderer_cannot_take_is_shown_raw(tmp_path):
    raw = orjson.dumps({"event": "x.failed", "level": "error", "exception": 12})
    assert line(raw, tmp_path) == f"worker: {raw.decode()}"


def test_lines_that_are_not_json_are_shown_as_they_are(tmp_path):
    assert line(b"Traceback (most recent call last):\n", tmp_path) == (
        "worker: Traceback (most recent call last):")
    assert line(b"\n", tmp_path) is None
    assert line(b"[1, 2]\n", tmp_path) == "worker: [1, 2]"


def test_every_line_goes_whole_to_the_part_log(tmp_path):
    out = io.StringIO()
    console = Console(tmp_path, out)
    read, write = os.pipe()
    lines = [b'{"event":"webhook.accepted","level":"info"}\n',
             b'{"event":"webhook.refused","level":"warning","code":"x"}\n']
    os.write(write, b"".join(lines))
    os.close(write)
    console.follow("gateway", os.fdopen(read, "rb"))
    console.close()
    assert (tmp_path / "gateway.log").read_bytes() == b"".join(lines)
    assert "webhook.refused" in out.getvalue() and "webhook.accepted" not in out.getvalue()


def test_only_a_terminal_outside_production_gets_the_console(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_STATE_DIR", str(tmp_path / "state"))
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w") as tty:
            console = for_terminal(load_settings(), tty)
            assert console is not None and console.directory == tmp_path / "state" / "logs"
            assert console.directory.is_dir()
            production = load_settings().model_copy(update={"env": "production"})
            assert for_terminal(production, tty) is None
        assert for_terminal(load_settings(), io.StringIO()) is None
    finally:
        os.close(master)


def test_a_terminal_that_goes_away_does_not_stop_the_copy(tmp_path):
    class Gone(io.StringIO):
        def write(self, _text: str) -> int:
            raise OSError(5, "Input/output error")

    console = Console(tmp_path, Gone())
    read, write = os.pipe()
    lines = [b'{"event":"a.failed","level":"error"}\n', b'{"event":"b.failed","level":"error"}\n']
    os.write(write, b"".join(lines))
    os.close(write)
    console.follow("worker", os.fdopen(read, "rb"))
    console.close()
    assert (tmp_path / "worker.log").read_bytes() == b"".join(lines)
