"""Aliyun SMS (SmsUp) replies: the HTTP batch push ("上行短信 HTTP 批量推送").

Aliyun POSTs a JSON array of reports and retries until it gets
``{"code": 0, "msg": "接收成功"}``. It signs nothing, so the callback URL
carries ``?token=HUB_PUSH_TOKEN``. A batch is accepted or refused whole:
one bad report refuses it, and Aliyun's retry brings the whole batch back."""

from typing import Annotated

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from hub.connectors.base import (
    Accepted,
    PushedJson,
    Received,
    parse_json,
    require_json,
)
from hub.connectors.docs import PUSH_TOKEN, TOKEN_ERRORS, Answer, Body, Doc, constant
from hub.errors import InvalidPayload
from hub.normalizers.sms import AliyunReport

ACK = {"code": 0, "msg": "接收成功"}


class AliyunSmsConnector(PushedJson):
    channel = "sms"
    source = "sms:aliyun"
    path = "/v1/channels/sms/aliyun"
    summary = "Aliyun SmsUp HTTP batch push (JSON array)"
    docs = (Doc("A batch of replies, accepted or refused whole; each becomes its own event.",
                bodies=(Body("application/json", Annotated[list[AliyunReport], Field(min_length=1)],
                             ("sms/aliyun_batch.json",)),),
                security=(PUSH_TOKEN,), errors=TOKEN_ERRORS,
                answers=(Answer(200, "application/json", "Aliyun's acknowledgement: stored",
                                constant(ACK), ACK),)),)

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        require_json(request)
        reports = parse_json(body)
        if not isinstance(reports, list) or not reports:
            raise InvalidPayload("expected a non-empty JSON array of reports")
        if not all(isinstance(r, dict) for r in reports):
            raise InvalidPayload("every report must be a JSON object")
        return [Received(r) for r in reports]

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        return JSONResponse(ACK)
