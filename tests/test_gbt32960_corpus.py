"""The fuzzer's corpus (bench/fuzz_gbt32960.py --corpus): every frame it kept for a
new outcome is replayed, and must be decoded to the same items or refused with the
same message naming where it failed. A frame is never half decoded (issue 19: an
alarm lost behind an item the walk could not size, answered 202)."""

from __future__ import annotations

import json

import pytest

from hub.gbt32960 import FrameError, parse_frames
from tests.helpers import FIXTURES

CORPUS = [json.loads(line) for line in
          (FIXTURES / "telematics" / "gbt32960_corpus.jsonl").read_text().splitlines()]


def outcome(buf: bytes) -> dict:
    """What the parser makes of ``buf``: the error, or each frame's command and items."""
    try:
        frames = parse_frames(buf)
    except FrameError as exc:
        return {"refused": str(exc)}
    return {"decoded": [{"command": f.command_name, "items": f.items,
                         "alarm_level": f.alarm["level_raw"] if f.alarm else None}
                        for f in frames]}


def test_the_corpus_holds_both_outcomes_and_the_frame_of_the_issue():
    refused = [e["outcome"]["refused"] for e in CORPUS if "refused" in e["outcome"]]
    assert len(refused) > 10 and len(CORPUS) - len(refused) > 10
    assert any("after vehicle: type 0x00 has no length" in r for r in refused)


@pytest.mark.parametrize("entry", CORPUS, ids=[f"{i:02d}" for i in range(len(CORPUS))])
def test_every_corpus_frame_is_decoded_fully_or_refused_with_the_reason(entry):
    result = outcome(bytes.fromhex(entry["hex"]))
    assert result == entry["outcome"]
    if "refused" in result:
        assert result["refused"] == "empty body" or result["refused"].startswith(
            "frame at byte ")
