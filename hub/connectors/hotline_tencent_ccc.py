"""Tencent Cloud Contact Center data push (https://cloud.tencent.com/document/product/679/67257).

CCC POSTs JSON to the configured URL with ``?action=cdr&version=1`` after each
call (other actions: ``record``, ``voicemail``) and expects
``{"ErrCode": 0, "ErrMsg": "ok"}``. It signs nothing: the URL carries
``&token=HUB_PUSH_TOKEN``. Only ``cdr`` becomes an event; the other actions
are answered and logged (their recording URLs are already in the CDR)."""

import structlog
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from hub.connectors.base import (
    Accepted,
    Connector,
    Received,
    parse_json_object,
    verify_pushed,
)

log = structlog.get_logger("hub.connectors.tencent_ccc")


class TencentCccConnector(Connector):
    channel = "hotline"
    path = "/v1/channels/hotline/tencent-ccc"
    summary = "Tencent Cloud Contact Center CDR push (action=cdr)"

    async def receive(self, request: Request, body: bytes) -> list[Received]:
        verify_pushed(self, request)
        payload = parse_json_object(body)
        action = request.query_params.get("action", "cdr")
        if action != "cdr":
            log.info("webhook.ignored", kind=f"ccc:{action}")
            return []
        return [Received(payload, kind="ccc:cdr")]

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        return JSONResponse({"ErrCode": 0, "ErrMsg": "ok"})
