from datetime import UTC, datetime

from hub.event import Contact, Event, Vehicle
from hub.routers.identity import CustomerDirectory, email_key


def event(**kw) -> Event:
    return Event(event_id="e", channel="web", source="web", channel_message_id="m",
                 received_at=datetime(2026, 11, 22, tzinfo=UTC), **kw)


def directory() -> CustomerDirectory:
    d = CustomerDirectory()
    d.apply("VIP", {"tier": "vip", "phones": ["139-0000-9999"], "emails": ["Zhao@Example.com"],
                    "wechat_openids": ["oU2V"], "vins": []})
    d.apply("FLEET", {"tier": "fleet", "phones": ["+86 571 8888 0000"],
                      "vins": ["lnbscu3h0mr512345"]})
    return d


def test_phone_in_any_spelling_matches():
    m = directory().resolve(event(contact=Contact(phone="+8613900009999")))
    assert (m.customer_id, m.tier, m.matched_by) == ("VIP", "vip", "phone")
    m = directory().resolve(event(contact=Contact(phone="+8657188880000")))
    assert m.customer_id == "FLEET"


def test_email_case_and_plus_addressing():
    assert email_key("Zhao+car@EXAMPLE.com") == "zhao@example.com"
    m = directory().resolve(event(contact=Contact(email="zhao+weixin@example.com")))
    assert (m.customer_id, m.matched_by) == ("VIP", "email")


def test_openid_and_vin():
    assert directory().resolve(event(contact=Contact(wechat_openid="oU2V"))).matched_by == \
        "wechat_openid"
    m = directory().resolve(event(vehicle=Vehicle(vin="LNBSCU3H0MR512345")))
    assert (m.customer_id, m.tier, m.matched_by) == ("FLEET", "fleet", "vin")


def test_best_tier_wins_when_contacts_disagree():
    d = directory()
    d.apply("ORD", {"tier": "ordinary", "phones": ["13700002222"]})
    m = d.resolve(event(contact=Contact(phone="+8613700002222"),
                        vehicle=Vehicle(vin="LNBSCU3H0MR512345")))
    assert (m.customer_id, m.matched_by) == ("FLEET", "vin")


def test_unknown_is_ordinary():
    m = directory().resolve(event(contact=Contact(phone="+8613111111111")))
    assert (m.customer_id, m.tier, m.matched_by) == (None, "ordinary", None)


def test_updates_and_deletions_take_effect():
    d = directory()
    d.apply("VIP", {"tier": "vip", "phones": ["13800000000"]})  # phone changed
    assert d.resolve(event(contact=Contact(phone="+8613900009999"))).customer_id is None
    assert d.resolve(event(contact=Contact(phone="+8613800000000"))).customer_id == "VIP"
    d.apply("VIP", {"deleted": True})
    assert d.resolve(event(contact=Contact(phone="+8613800000000"))).customer_id is None
    d.apply("FLEET", None)  # tombstone
    assert len(d) == 0


def test_vin_typos_and_check_digit():
    from hub.routers.identity import vin_check_digit_ok, vin_key

    assert vin_key(" lfv2a21k7g3OOOOO1 ") == "LFV2A21K7G3000001"  # O typed for 0
    assert vin_key("LFV2A21K7G300000") is None  # 16 characters
    assert vin_check_digit_ok("LFV2A21K7G3000001")
    assert vin_check_digit_ok("1M8GDM9AXKP042788")  # X check digit
    assert not vin_check_digit_ok("LFV2A21K7G3000002")


def test_typed_vin_with_letter_o_still_finds_the_fleet():
    m = directory().resolve(event(vehicle=Vehicle(vin="LNBSCU3H0MR5I2345")))  # I for 1
    assert m.customer_id == "FLEET"


def test_unionid_matches_like_an_openid():
    d = directory()
    d.apply("UNION", {"tier": "vip", "wechat_openids": ["oUnionAAA"]})
    m = d.resolve(event(contact=Contact(wechat_unionid="oUnionAAA")))
    assert (m.customer_id, m.matched_by) == ("UNION", "wechat_openid")
