from types import SimpleNamespace

import orjson

from hub.stream.records import dead_letter, parse_src, src_value


def test_provenance_round_trips_even_with_slashes_and_dots_in_the_topic():
    assert parse_src(src_value("hub.intake", 3, 42, 1)) == ("hub.intake", 3, 42, 1)
    assert parse_src(src_value("a/b.c", 0, 0, 0)) == ("a/b.c", 0, 0, 0)


def test_a_foreign_header_is_not_provenance():
    assert parse_src(b"garbage") is None
    assert parse_src(b"t/x/1/2") is None


def test_a_dead_letter_keeps_the_record_as_it_was_with_the_reason():
    record = SimpleNamespace(topic="hub.intake", partition=1, offset=9, key=b"k",
                             value=b"\xff\xfe not utf-8")
    out = dead_letter(record, "hub.deadletter", "invalid_payload", "ValueError: x")
    body = orjson.loads(out.value)
    assert out.topic == "hub.deadletter" and out.key == b"k"
    assert body["reason"] == "invalid_payload" and body["value"] is None
    assert body["value_base64"] == "//4gbm90IHV0Zi04"
    assert dict(out.headers)["ce_id"] == b"hub.intake/1/9"
