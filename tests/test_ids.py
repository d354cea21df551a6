from hub.ids import event_id


def test_event_ids_are_stable_and_distinct_per_channel_and_source():
    assert event_id("hotline", "hotline", "CALL-1") == event_id("hotline", "hotline", "CALL-1")
    assert event_id("hotline", "hotline", "CALL-1") != event_id("web", "web", "CALL-1")
    assert event_id("sms", "sms:aliyun", "1") != event_id("sms", "sms:tencent", "1")
