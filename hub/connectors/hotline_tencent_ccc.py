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
    PushedJson,
    Received,
    parse_json_object,
    require_json,
)
from hub.connectors.docs import PUSH_TOKEN, TOKEN_ERRORS, Answer, Body, Doc, Param, constant
from hub.errors import InvalidPayload
from hub.normalizers.hotline import CccCdr

log = structlog.get_logger("hub.connectors.tencent_ccc")
ACK = {"ErrCode": 0, "ErrMsg": "ok"}
ACTIONS = ("cdr", "record", "voicemail")


class TencentCccConnector(PushedJson):
    channel = "hotline"
    path = "/v1/channels/hotline/tencent-ccc"
    summary = "Tencent Cloud Contact Center CDR push (action=cdr)"
    docs = (Doc("A call's CDR (`action=cdr`) becomes an event; `record` and `voicemail` "
                "pushes are answered and not stored.",
                bodies=(Body("application/json", CccCdr, ("hotline/tencent_ccc_cdr.json",)),),
                parameters=(Param("action", "query", "which push this is: `cdr` (the default) "
                                  "is stored; `record` and `voicemail` are answered and not "
                                  "stored (their bodies are not CDRs); any other is a 400",
                                  {"type": "string", "enum": ["cdr"], "default": "cdr"}),
                            Param("version", "query", "CCC's push format version (`1`)")),
                security=(PUSH_TOKEN,), errors=TOKEN_ERRORS,
                answers=(Answer(200, "application/json", "CCC's acknowledgement: stored",
                                constant(ACK), ACK),)),)

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        require_json(request)
        payload = parse_json_object(body)
        action = request.query_params.get("action", "cdr")
        if action not in ACTIONS:
            raise InvalidPayload(f"unknown CCC push action {action!r}: check the callback URL")
        if action != "cdr":
            log.info("webhook.ignored", kind=f"ccc:{action}")
            return []
        return [Received(payload, kind="ccc:cdr")]

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        return JSONResponse(ACK)
