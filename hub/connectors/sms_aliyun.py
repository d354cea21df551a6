"""Aliyun SMS (SmsUp) replies: the HTTP batch push ("上行短信 HTTP 批量推送").

Aliyun POSTs a JSON array of reports and retries until it gets
``{"code": 0, "msg": "接收成功"}``. It signs nothing, so the callback URL
carries ``?token=HUB_PUSH_TOKEN``. A batch is accepted or refused whole:
one bad report refuses it, and Aliyun's retry brings the whole batch back."""

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hub.connectors.base import (
    Accepted,
    Connector,
    Received,
    parse_json,
    verify_pushed,
)
from hub.errors import InvalidPayload


class AliyunSmsConnector(Connector):
    channel = "sms"
    source = "sms:aliyun"
    path = "/v1/channels/sms/aliyun"
    summary = "Aliyun SmsUp HTTP batch push (JSON array)"

    async def receive(self, request: Request, body: bytes) -> list[Received]:
        verify_pushed(self, request)
        reports = parse_json(body)
        if not isinstance(reports, list) or not reports:
            raise InvalidPayload("expected a non-empty JSON array of reports")
        if not all(isinstance(r, dict) for r in reports):
            raise InvalidPayload("every report must be a JSON object")
        return [Received(r) for r in reports]

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        return JSONResponse({"code": 0, "msg": "接收成功"})
