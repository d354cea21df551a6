"""Tencent Cloud SMS reply callback ("短信回复回调").

One JSON object per reply: ``{extend, mobile, nationcode, sign, text, time}``
(``sign`` is the brand text, not a signature). Tencent expects
``{"result": 0, "errmsg": "OK"}``; the URL carries ``?token=HUB_PUSH_TOKEN``."""

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hub.connectors.base import (
    Accepted,
    PushedJson,
    Received,
    parse_json_object,
    require_json,
)
from hub.connectors.docs import PUSH_TOKEN, TOKEN_ERRORS, Answer, Body, Doc, constant
from hub.normalizers.sms import TencentReply

ACK = {"result": 0, "errmsg": "OK"}


class TencentSmsConnector(PushedJson):
    channel = "sms"
    source = "sms:tencent"
    path = "/v1/channels/sms/tencent"
    summary = "Tencent Cloud SMS reply callback"
    docs = (Doc("One reply; Tencent gives it no id, so phone, time and text identify a "
                "redelivery.",
                bodies=(Body("application/json", TencentReply, ("sms/tencent_reply.json",)),),
                security=(PUSH_TOKEN,), errors=TOKEN_ERRORS,
                answers=(Answer(200, "application/json", "Tencent's acknowledgement: stored",
                                constant(ACK), ACK),)),)

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        require_json(request)
        return [Received(parse_json_object(body))]

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        return JSONResponse(ACK)
