"""A longer fuzzing run of the GB/T 32960 parser than the test suite's 2 x 3000
examples: random bytes and mutated valid frames (BCC recomputed, so mutations
reach the item walker). Any exception but FrameError fails loudly.

    .venv/bin/python bench/fuzz_gbt32960.py 50000
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import test_gbt32960 as t  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    cases = (
        ("random bytes", t.test_fuzz_random_bytes, (st.binary(max_size=300),)),
        ("mutated frames", t.test_fuzz_mutated_frames_with_a_fixed_bcc,
         (st.sampled_from(t.VALID), st.data())),
    )
    for name, test, strategies in cases:
        run = settings(max_examples=n, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))(
            given(*strategies)(test.hypothesis.inner_test))
        started = time.perf_counter()
        run()
        print(f"{name}: {n} examples, nothing raised but FrameError, "
              f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
