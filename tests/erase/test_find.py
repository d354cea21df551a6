"""Which customer records and cases an identifier leads to (no broker: the
current views as :func:`hub.erase.find.read_current` returns them)."""

from hub.erase.find import match
from hub.erase.identifier import parse

ZHAO = {"customer_id": "C-ZHAO", "tier": "vip", "phones": ["139-0000-9999"],
        "emails": ["Zhao@Example.com"], "wechat_openids": ["oZHAO"],
        "vins": ["LNBSCU3HXMR512345"]}
FLEET = {"customer_id": "C-FLEET", "tier": "fleet", "phones": ["+86 571 8888 0000"],
         "vins": ["LSVAX60E2K2000001"]}
CUSTOMERS = {"C-ZHAO": ZHAO, "C-FLEET": FLEET}


def case(owner: str | None, *keys: str) -> dict:
    return {"customer": {"customer_id": owner, "tier": "ordinary"}, "history_keys": list(keys)}


CASES = {
    "e-zhao-1": case("C-ZHAO", "c:C-ZHAO"),
    "e-zhao-2": case("C-ZHAO", "c:C-ZHAO", "v:LNBSCU3HXMR512345"),
    # before the customer record was loaded: only the phone, the e-mail or the openid
    "e-phone": case(None, "c:+8613900009999"),
    "e-mail": case(None, "c:zhao+car@example.com"),
    "e-openid": case(None, "c:oZHAO"),
    "e-car": case(None, "v:lnbscu3hxmr512345"),
    # the fleet's vehicle, driven by someone else: the fleet's case
    "e-fleet": case("C-FLEET", "c:C-FLEET", "v:LSVAX60E2K2000001"),
    "e-other": case(None, "c:+8613700002222"),
}


def test_a_phone_finds_the_customer_and_every_case_of_theirs_however_spelled():
    found = match(parse(phone="+86 139-0000-9999"), CUSTOMERS, CASES)
    assert list(found.customers) == ["C-ZHAO"]
    assert found.cases == ["e-car", "e-mail", "e-openid", "e-phone", "e-zhao-1", "e-zhao-2"]


def test_each_kind_of_identifier_leads_to_the_same_person():
    by = [parse(email="ZHAO@example.com"), parse(openid="oZHAO"),
          parse(vin="LNBSCU3HXMR512345")]
    assert {tuple(match(i, CUSTOMERS, CASES).cases) for i in by} == {
        ("e-car", "e-mail", "e-openid", "e-phone", "e-zhao-1", "e-zhao-2")}


def test_a_contact_point_without_a_customer_record_finds_its_own_cases_only():
    found = match(parse(phone="13700002222"), CUSTOMERS, CASES)
    assert (found.customers, found.cases) == ({}, ["e-other"])


def test_a_vehicle_of_another_customer_leaves_that_customers_cases_alone():
    found = match(parse(vin="LSVAX60E2K2000001", check_digit=False), {"C-ZHAO": ZHAO}, CASES)
    assert not found and found.cases == []


def test_nothing_matches_an_unknown_identifier():
    assert not match(parse(email="nobody@example.cn"), CUSTOMERS, CASES)
