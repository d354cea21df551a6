
import httpx
import orjson
import pytest

from hub.kafka.topics import INTAKE, RAW
from hub.settings import DEV_SECRETS
from tests.helpers import FIXTURES, end_offsets, kept_refused, routed_where

URL = "/v1/channels/hotline/tencent-ccc"


def post(gateway: str, body: bytes, query: str) -> httpx.Response:
    return httpx.post(f"{gateway}{URL}?{query}", content=body,
                      headers={"content-type": "application/json;charset=utf8"})


def test_cdr_with_rescue_key_and_no_words_is_routed_on_the_hint(broker, gateway, worker):
    body = (FIXTURES / "hotline" / "tencent_ccc_cdr.json").read_bytes()
    response = post(gateway, body, f"action=cdr&version=1&token={DEV_SECRETS['push_token']}")
    assert response.status_code == 200 and response.json() == {"ErrCode": 0, "ErrMsg": "ok"}
    event = routed_where(broker.bootstrap,
                         lambda e: e.channel_message_id == "t-ccc-0001-rescue")
    assert event.source == "hotline:tencent-ccc" and event.contact.phone == "+8613822223333"
    assert event.classification.type == "rescue"  # IVR key 3, nothing said against it


def test_other_actions_are_answered_not_stored_and_token_is_required(broker, gateway):
    before = end_offsets(broker.bootstrap, [RAW, INTAKE])
    record = orjson.dumps({"SessionId": "s", "RecordURL": "http://x", "RecordId": "r"})
    ok = post(gateway, record, f"action=record&version=1&token={DEV_SECRETS['push_token']}")
    assert ok.status_code == 200 and ok.json()["ErrCode"] == 0
    assert post(gateway, record, "action=cdr&version=1").status_code == 401
    assert end_offsets(broker.bootstrap, [RAW, INTAKE]) == before


@pytest.mark.parametrize("action", ["", "cdrx"])
def test_an_unknown_action_is_refused_so_a_wrong_callback_url_shows(broker, gateway, action):
    body = (FIXTURES / "hotline" / "tencent_ccc_cdr.json").read_bytes()
    refused, raw = kept_refused(broker.bootstrap, lambda: post(
        gateway, body, f"action={action}&token={DEV_SECRETS['push_token']}"))
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_payload" == raw["refused"]["code"]
    assert raw["query"] == f"action={action}&token=%5Bredacted%5D"
