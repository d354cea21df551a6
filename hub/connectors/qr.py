"""QR codes at dealers and on vehicles.

``GET /q/{token}`` shows the customer a short form (phone, name, what
happened, optional photo); ``POST /v1/channels/qr`` takes it, form-encoded,
multipart (with the photo) or JSON. The token (:mod:`hub.qr`) says which
dealer or vehicle the code was on. Limits: 5 submissions per code and 20 per
address in 10 minutes (429). A browser gets HTML (confirmation with the case
reference, or an error page) in the language it asks for (:mod:`qr_pages`);
an API client gets the contract's JSON. The
photo is recorded as attachment metadata; its bytes are not kept (the hub has
no object store)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from hub import qr
from hub.connectors.base import Accepted, Connector, Received, parse_json_object
from hub.connectors.docs import Answer, Body, Doc, Param, ref
from hub.connectors.qr_pages import done_page, error_page, form_page, language
from hub.errors import (
    BrokerUnavailable,
    HubError,
    InvalidPayload,
    InvalidSignature,
    PayloadTooLarge,
    RateLimited,
    StaleTimestamp,
    UnsupportedMediaType,
)
from hub.normalizers.qr import QrSubmission
from hub.ratelimit import SlidingWindow

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _ctype(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _form(request: Request, body: bytes) -> Any:
    """Parse a form from the body the gateway already read (and size-checked)."""
    async def replay() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}
    try:
        return await Request(request.scope, replay).form()
    except (HTTPException, MultiPartException, ValueError) as exc:  # no boundary, bad parts
        raise InvalidPayload(f"the form cannot be read: {exc}") from exc


async def _fields(request: Request, body: bytes) -> tuple[dict, dict | None]:
    """The submitted fields, and the photo's metadata when there is one."""
    ctype = _ctype(request)
    if ctype in _FORMS:
        form = await _form(request, body)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("photo")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            return fields, {"filename": upload.filename, "content_type": upload.content_type,
                            "size": len(data)}
        return fields, None
    if ctype == "application/json":
        return parse_json_object(body), None
    raise UnsupportedMediaType("send a form or JSON")


class QrAccepted(BaseModel):
    event_id: str
    reference: str  # what the customer reads out on the phone
    status: Literal["accepted", "duplicate"]


def _html(request: Request, page: str, status: int) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers={
        "Content-Language": _lang(request), "Vary": "Accept-Language"})


def _lang(request: Request) -> str:
    return language(request.headers.get("accept-language"))


def reference(event_id: str) -> str:
    """What the customer keeps: short enough to read out on the phone."""
    return event_id.replace("-", "")[:10].upper()


class QrConnector(Connector):
    channel = "qr"
    path = "/v1/channels/qr"
    summary = "QR landing form (form, multipart with photo, or JSON)"
    max_body_bytes = 10 * 1024 * 1024  # a phone photo
    # The token travels in the form (and in the page's path), where OpenAPI has no
    # security scheme: each description says so, and a bad one is a 401.
    docs = (
        Doc("The form behind a QR code. Authenticated by the signed `token` field (from the "
            "code's URL), not by a header. A browser posting the form gets HTML pages; an API "
            "client posting JSON gets JSON. At most 5 submissions per code and 20 per address "
            "in 10 minutes.",
            bodies=(Body("application/x-www-form-urlencoded", QrSubmission),
                    Body("multipart/form-data", {"allOf": [ref(QrSubmission), {
                        "type": "object", "properties": {
                            "photo": {"type": "string", "format": "binary"}}}]}),
                    Body("application/json", QrSubmission, ("qr/submission.json",))),
            answers=(Answer(202, "application/json", "Stored (JSON clients)", QrAccepted),
                     Answer(200, "text/html", "Confirmation page with the case reference",
                            {"type": "string"})),
            errors=(InvalidPayload, InvalidSignature, StaleTimestamp, PayloadTooLarge,
                    UnsupportedMediaType, RateLimited, BrokerUnavailable),
            error_media_types=("application/json", "text/html")),
        Doc("The landing page a QR code opens: a short mobile form. A forged or expired token "
            "gets an error page.", method="GET", path="/q/{token}",
            parameters=(Param("token", "path", "the signed token (`hub qr issue`)"),),
            answers=(Answer(200, "text/html", "The form", {"type": "string"}),),
            errors=(InvalidSignature, StaleTimestamp), error_media_types=("text/html",)),
    )

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.per_code = SlidingWindow(5, 600)
        self.per_address = SlidingWindow(20, 600)

    @property
    def _secret(self) -> str:
        return self.settings.qr_secret.get_secret_value()

    def pages(self) -> list:
        async def landing(request: Request) -> Response:
            token = request.path_params["token"]
            try:
                claims = qr.read(self._secret, token)
            except HubError as err:
                return _html(request, error_page(err, _lang(request)), err.status)
            return _html(request, form_page(token, uuid.uuid4().hex, claims["dealer"], self.path,
                                            _lang(request)), 200)

        return [("/q/{token}", landing)]

    async def authenticate(self, request: Request, body: bytes) -> None:
        # The token is a field of the body: no readable body, nothing to check.
        # Over the limits is refused here too: a flood is not kept in hub.raw.
        fields, _ = await _fields(request, body)
        claims = qr.read(self._secret, str(fields.get("token") or ""))
        address = request.client.host if request.client else "unknown"
        if not self.per_code.allow(claims["ref"]) or not self.per_address.allow(address):
            raise RateLimited("too many submissions, please try again in a few minutes")

    async def parse(self, request: Request, body: bytes) -> list[Received]:
        fields, photo = await _fields(request, body)
        claims = qr.claims(self._secret, str(fields.get("token") or ""))
        return [Received({**fields, "claims": claims, "photo": photo}, kind="qr")]

    def answer(self, accepted: list[Accepted], request: Request) -> Response:
        [a] = accepted
        if _ctype(request) in _FORMS:
            return _html(request, done_page(reference(a.event_id), _lang(request)), 200)
        answer = QrAccepted(event_id=a.event_id, reference=reference(a.event_id),
                            status="duplicate" if a.duplicate else "accepted")
        return JSONResponse(answer.model_dump(), 202)

    def refuse(self, error: HubError, request: Request) -> Response:
        if _ctype(request) in _FORMS:
            return _html(request, error_page(error, _lang(request)), error.status)
        return super().refuse(error, request)
