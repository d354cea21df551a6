"""The one identifier of an erasure, normalized as the customer directory does."""

import pytest

from hub.erase.identifier import parse
from hub.errors import InvalidPayload
from hub.routers.identity import vin_check_digit_ok

VIN = "LNBSCU3HXMR512345"  # check digit (X) right; the fleet fixture's 0 is not


@pytest.mark.parametrize("raw", ["13900009999", "139-0000-9999", "139 0000 9999",
                                 "+86 139 0000 9999", "008613900009999", "8613900009999",
                                 "１３９００００９９９９"])
def test_every_spelling_of_a_phone_is_one_identifier(raw):
    ident = parse(phone=raw)
    assert (ident.kind, ident.value) == ("phone", "+8613900009999")
    assert ident.masked() == "***9999"


def test_an_email_is_lower_case_without_its_plus_tag_and_masked():
    ident = parse(email=" Zhao+Car@Example.com ")
    assert (ident.kind, ident.value) == ("email", "zhao@example.com")
    assert ident.masked() == "z***@example.com"


def test_a_vin_is_upper_case_and_an_openid_is_taken_as_given():
    assert parse(vin="lnbscu3hxmr512345").value == VIN
    assert parse(vin="LNBSCU3H-XMR5 12345").masked() == "LNB***2345"
    ident = parse(openid="oU2Vx5test0001openid")
    assert (ident.kind, ident.value, ident.masked()) == (
        "wechat_openid", "oU2Vx5test0001openid", "oU2V***")


def test_a_vin_whose_check_digit_fails_is_refused_unless_asked():
    typo = "LNBSCU3H0MR512345"  # the fleet fixture's: loaded, so it must stay erasable
    assert not vin_check_digit_ok(typo)
    with pytest.raises(InvalidPayload, match="check digit"):
        parse(vin=typo)
    assert parse(vin=typo, check_digit=False).value == typo


@pytest.mark.parametrize(("options", "message"), [
    ({"vin": "LNBSCU3H0MR5123"}, "not a VIN"),
    ({"phone": "12345"}, "not a valid phone number"),
    ({"email": "zhao.example.com"}, "not an e-mail"),
    ({"openid": "o U2"}, "spaces"),
    ({}, r"given: none"),
    ({"phone": "13900009999", "vin": VIN}, r"given: --phone, --vin"),
])
def test_bad_or_missing_or_two_identifiers_are_refused_clearly(options, message):
    with pytest.raises(InvalidPayload, match=message):
        parse(**options)


def test_the_digest_is_keyed_and_stable_and_hides_the_value():
    a, b = parse(phone="13900009999"), parse(phone="139-0000-9999")
    assert a.digest("k1") == b.digest("k1") != a.digest("k2")
    assert len(a.digest("k1")) == 64
    assert parse(email="x@y.cn").digest("k1") != a.digest("k1")
