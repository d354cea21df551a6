"""What the report's work found in the watch, as strict xfails for its owner:
each passes once fixed, and its mark must then go."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.watch.test_stage import T0, Watch


@pytest.mark.xfail(strict=True, reason=(
    "an update older than the case's opening is dropped as stale: updated_at starts "
    "at opened_at, but §8 ignores updates older than the last *applied* one. A hotline "
    "call record reaches the hub when the call ends, after the agent who took it "
    "acknowledged it: that agent (首问负责制) is lost as owner, and the case stays open"))
def test_an_update_from_before_the_case_reached_the_hub_still_applies(tmp_path):
    watch = Watch(tmp_path)
    eid = watch.open()
    watch.update(eid, "acknowledged", T0 - timedelta(minutes=3), agent_id="A1024")
    case = watch.case(eid)
    assert case["status"] == "acknowledged" and case["owner"] == "A1024"
