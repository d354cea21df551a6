import io
import json
import logging

import structlog

from hub import logs
from hub.pii import mask_text


def test_mask_text_hides_phones_and_emails_but_not_other_numbers():
    text = ("客户13900009999 邮箱 zhao@example.com 座机0571-88880000 "
            "订单号20261122 offset 1763774500")
    masked = mask_text(text)
    assert "13900009999" not in masked and "zhao@" not in masked and "88880000" not in masked
    assert "***9999" in masked and "z***@example.com" in masked
    assert "20261122" in masked and "1763774500" in masked


def test_log_lines_are_json_with_bound_event_id_and_masked_pii():
    logs.configure("INFO")
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    with structlog.contextvars.bound_contextvars(event_id="evt-1"):
        structlog.get_logger("t").info("route.selected", phone="+8613900009999",
                                       email="zhao@example.com", note="call 13800001111")
        logging.getLogger("aiokafka").warning("stdlib line for 13700002222")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["event"] == "route.selected" and lines[0]["event_id"] == "evt-1"
    assert lines[0]["phone"] == "***9999" and lines[0]["email"] == "z***@example.com"
    assert "13800001111" not in lines[0]["note"]
    assert lines[1]["logger"] == "aiokafka" and "13700002222" not in lines[1]["event"]
    assert all("timestamp" in line and "level" in line for line in lines)


def test_event_ids_and_digests_are_not_taken_for_phone_numbers():
    from hub.ids import event_id
    from hub.pii import mask_value

    uuid_like = "d838249f-e61c-5f0e-b7ac-13912347365f"  # last group: 139 1234 7365, then f
    digest = "0571888800001391234567890abcdef0571888800001391234567890abcdef0"
    for value in (uuid_like, digest, event_id("sms", "sms:aliyun", "99001")):
        assert mask_text(value) == value
        assert mask_text(f"routed {value} to vip") == f"routed {value} to vip"
        assert mask_value("event_id", value) == value
    # …while the phone next to an id is still masked.
    assert mask_text(f"{uuid_like} 13912347365") == f"{uuid_like} ***7365"
