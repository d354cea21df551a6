"""What `hub erase` prints: what it erased, and plainly what it could not."""

from hub.erase import audit
from hub.erase.find import Found
from hub.erase.identifier import parse
from hub.erase.run import APPEND_ONLY, COMPACTED, Result, render
from hub.kafka.retention import Kept

DAY = 24 * 3600 * 1000


def result(outcome: str, found: Found, earlier: list[dict], raw_ms: int = 30 * DAY,
           routed_ms: int | None = 7 * DAY) -> Result:
    kept = {t: Kept(t, 7 * DAY, None) for t in APPEND_ONLY}
    kept["hub.raw"] = Kept("hub.raw", raw_ms, None)
    kept["hub.routed.vip.rescue"] = Kept("hub.routed.vip.rescue", routed_ms, None)
    kept |= {t: Kept(t, None, "compact") for t in COMPACTED}
    tombstones = len(found.customers) + 2 * len(found.cases)
    return Result(parse(phone="13900009999"), "r1", found, outcome, tombstones, earlier, kept,
                  0.5)


def test_an_erasure_says_what_went_and_what_stays_with_each_retention():
    found = Found({"C-ZHAO": {}}, ["e1", "e2"])
    text = render(result(audit.ERASED, found, []))
    assert "phone ***9999" in text and "13900009999" not in text
    assert "1 customer record(s) on hub.customers: C-ZHAO" in text
    assert "2 case(s) on hub.cases" in text and "5 tombstones" in text
    assert "hub.raw                        kept 30 days" in text
    assert "hub.routed.{tier}.{type}       kept 7 days" in text and "(12 topics)" in text
    assert "the embedded broker never does" in text


def test_routed_topics_kept_differently_are_listed_one_by_one():
    text = render(result(audit.ERASED, Found({}, ["e1"]), [], raw_ms=-1, routed_ms=None))
    assert "hub.raw                        kept forever" in text
    assert "hub.routed.vip.rescue          retention unknown" in text
    assert "hub.routed.{tier}" not in text


def test_a_repeat_and_a_miss_say_so():
    before = [{"at": "2026-12-01T02:00:00.123456Z", "outcome": audit.ERASED}]
    assert "nothing left to erase: erased before on 2026-12-01T02:00:00Z (1 earlier request)" \
        in render(result(audit.NOTHING_LEFT, Found(), before))
    assert "no customer record and no case matches it" in render(
        result(audit.NOT_FOUND, Found(), []))
    again = render(result(audit.ERASED, Found({}, ["e9"]), before))
    assert "also erased before on 2026-12-01T02:00:00Z" in again
