from datetime import UTC, datetime, timedelta

import pytest

from hub.errors import ConfigError
from hub.routers.policy import DEFAULT_POLICY, load_policy

T0 = datetime(2026, 11, 22, tzinfo=UTC)


def test_default_policy_covers_every_tier_and_type():
    p = load_policy()
    r = p.decide("ordinary", "complaint", [], T0, 1.0)
    assert r.topic == "hub.routed.ordinary.complaint" and r.priority == "P2"
    assert r.first_response_due == T0 + timedelta(hours=2)  # seed: contact within 2 hours
    assert r.resolve_due == T0 + timedelta(days=3)


def test_rescue_is_p1_for_every_tier_and_flags_raise_priority():
    p = load_policy()
    assert {p.decide(t, "rescue", [], T0, 1).priority for t in ("vip", "fleet", "ordinary")} \
        == {"P1"}
    r = p.decide("ordinary", "inquiry", ["media"], T0, 1.0)
    assert r.priority == "P1" and r.queue == "special-risk"
    assert r.first_response_due == T0 + timedelta(hours=4)
    assert r.rule == "ordinary.inquiry+flag.media"


def test_sla_scale_multiplies_every_duration():
    r = load_policy().decide("vip", "complaint", [], T0, 0.001)
    assert r.first_response_due == T0 + timedelta(hours=0.001)


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace("[routes.fleet.inquiry]", "[routes.fleet.other]"), "fleet.inquiry"),
    (lambda s: s.replace('priority = "P3"', 'priority = "P9"', 1), "priority"),
    (lambda s: s.replace("resolve_h = 72", "resolve_h = -1", 1), "resolve_h"),
    (lambda s: s.replace("first_response_h = 1\n", "first_response_h = 100\n", 1), "longer"),
    (lambda s: s + "\n[routes.vip.teleport]\nqueue='x'\npriority='P1'\nfirst_response_h=1\n"
               "resolve_h=2\n", "unknown routes"),
    (lambda s: s.replace('[routes.ordinary.rescue]\nqueue = "rescue"\npriority = "P1"',
                         '[routes.ordinary.rescue]\nqueue = "rescue"\npriority = "P3"'), "P1"),
    (lambda s: s + "\n[[[", "not valid TOML"),
    (lambda s: s.replace("queue = ", "queues = ", 1), "queue"),
])
def test_invalid_policy_files_fail_with_a_clear_message(tmp_path, edit, message):
    path = tmp_path / "policy.toml"
    path.write_text(edit(DEFAULT_POLICY.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_policy(path)
    assert str(path) in info.value.message


def test_missing_policy_file(tmp_path):
    with pytest.raises(ConfigError, match="No such file"):
        load_policy(tmp_path / "nope.toml")
