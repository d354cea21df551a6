"""A longer fuzzing run of the GB/T 32960 parser than the test suite's 2 x 3000
examples: random bytes, mutated valid frames (BCC recomputed, so mutations
reach the item walker) and spliced frames (bytes inserted into or cut from the
data, length and BCC made right: an item too long or too short for its type,
the fault that once hid an alarm). Any exception but FrameError fails loudly.

With ``--corpus FILE`` every frame whose outcome is new (the error with its
numbers blanked, or the decoded commands and items) is written to FILE, one
JSON line each with the outcome, for tests/test_gbt32960_corpus.py to replay.
After an intended change to the parser's answers, ``--refresh`` first rewrites
the outcomes of the frames already kept (the diff shows what changed):

    .venv/bin/python bench/fuzz_gbt32960.py 50000
    .venv/bin/python bench/fuzz_gbt32960.py 20000 \
        --corpus tests/data/telematics/gbt32960_corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import gbt32960_frames as g  # noqa: E402
from tests import test_gbt32960 as t  # noqa: E402
from tests.test_gbt32960_corpus import outcome  # noqa: E402


def signature(result: dict) -> str:
    """The outcome's shape: offsets, type bytes and vendor item numbers blanked."""
    if "refused" in result:
        return "refused:" + re.sub(r"0x[0-9a-f]{2}|time [0-9a-f]+|\d+", "N", result["refused"])
    frames = [(f["command"], [re.sub("0x..", "vendor", i) for i in f["items"]])
              for f in result["decoded"]]
    return "decoded:" + json.dumps(frames)


@st.composite
def spliced(draw) -> bytes:
    buf = bytearray(draw(st.sampled_from(t.VALID)))
    at = draw(st.integers(30, len(buf) - 1))  # after the time, inside the items
    if draw(st.booleans()):
        buf[at:at] = draw(st.binary(min_size=1, max_size=4))
    else:
        del buf[at:at + draw(st.integers(1, 4))]
    return g.refit(bytes(buf))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=50_000)
    parser.add_argument("--corpus", type=Path, help="JSON lines file to add new outcomes to")
    parser.add_argument("--refresh", action="store_true",
                        help="recompute the outcomes of the frames already in the corpus")
    args = parser.parse_args()
    seen: dict[str, dict] = {}
    if args.corpus and args.corpus.exists():
        for line in args.corpus.read_text().splitlines():
            entry = json.loads(line)
            if args.refresh:
                entry["outcome"] = outcome(bytes.fromhex(entry["hex"]))
            seen.setdefault(signature(entry["outcome"]), entry)
    kept = len(seen)

    def keep(buf: bytes) -> None:
        result = outcome(buf)  # raises anything but FrameError: the fuzzer fails loudly
        seen.setdefault(signature(result), {"hex": buf.hex(), "outcome": result})

    # Seeds first, so the corpus always holds them: the valid frames and the frame of
    # issue 19 (a vehicle item two bytes too long, then a level-3 alarm).
    for seed in [*t.VALID, g.realtime(t.T, g.vehicle(10, 20, 30) + bytes(2), g.alarm(3, [1]))]:
        keep(seed)
    cases = (
        ("random bytes", (st.binary(max_size=300),), keep),
        ("mutated frames", (st.sampled_from(t.VALID), st.data()),
         lambda frame, data: keep(_mutated(frame, data))),
        ("spliced frames", (spliced(),), keep),
    )
    for name, strategies, body in cases:
        run = settings(max_examples=args.n, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))(given(*strategies)(body))
        started = time.perf_counter()
        run()
        print(f"{name}: {args.n} examples, nothing raised but FrameError, "
              f"{time.perf_counter() - started:.1f} s")
    if args.corpus:
        args.corpus.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n"
                                       for e in seen.values()))
        print(f"corpus: {len(seen)} outcomes ({len(seen) - kept} new) in {args.corpus}")


def _mutated(frame: bytes, data) -> bytes:
    buf = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 6))):
        buf[data.draw(st.integers(24, len(buf) - 2))] = data.draw(st.integers(0, 255))
    return t._with_bcc(buf)


if __name__ == "__main__":
    main()
