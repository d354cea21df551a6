"""What the report's work found in the watch, kept as tests."""

from __future__ import annotations

from datetime import timedelta

from tests.watch.test_stage import T0, Watch


def test_an_update_from_before_the_case_reached_the_hub_still_applies(tmp_path):
    watch = Watch(tmp_path)
    eid = watch.open()
    watch.update(eid, "acknowledged", T0 - timedelta(minutes=3), agent_id="A1024")
    case = watch.case(eid)
    assert case["status"] == "acknowledged" and case["owner"] == "A1024"
