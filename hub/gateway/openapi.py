"""The gateway's OpenAPI document, built in one place from what each connector
declares (:mod:`hub.connectors.docs`): request bodies with their media types
and schemas, security schemes, vendor answers and the contract's errors.

FastAPI sees the channel routes only as ``handle(request)``; this module
replaces those bare operations with the declared ones and leaves FastAPI's
own output (ops routes) as it is."""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from hub.connectors.base import Connector
from hub.connectors.docs import Answer, Body, Doc, ErrorBody, Param
from hub.errors import BrokerUnavailable, HubError

_REF = "#/components/schemas/{model}"

SECURITY_SCHEMES: dict[str, dict] = {
    "webhookId": {"type": "apiKey", "in": "header", "name": "webhook-id",
                  "description": "Standard Webhooks message id (standardwebhooks.com); "
                                 "the same id on a redelivery"},
    "webhookTimestamp": {"type": "apiKey", "in": "header", "name": "webhook-timestamp",
                         "description": "Unix seconds; more than `HUB_WEBHOOK_TOLERANCE_S` "
                                        "(300) from now is `401 stale_timestamp`"},
    "webhookSignature": {"type": "apiKey", "in": "header", "name": "webhook-signature",
                         "description": "`v1,` + Base64(HMAC-SHA256(key, "
                                        "`{webhook-id}.{webhook-timestamp}.{body}`)), key = "
                                        "the source's `HUB_SOURCE_SECRETS` entry, Base64-decoded "
                                        "after `whsec_`; several space-separated signatures "
                                        "allowed (key rotation)"},
    "wechatSignature": {"type": "apiKey", "in": "query", "name": "signature",
                        "description": "SHA1 of the sorted, concatenated (`HUB_WECHAT_TOKEN`, "
                                       "timestamp, nonce): WeChat plain mode and URL check"},
    "wechatMsgSignature": {"type": "apiKey", "in": "query", "name": "msg_signature",
                           "description": "Safe mode (`encrypt_type=aes`): SHA1 of the sorted "
                                          "(token, timestamp, nonce, `Encrypt`)"},
    "wechatTimestamp": {"type": "apiKey", "in": "query", "name": "timestamp",
                        "description": "Unix seconds, signed; more than "
                                       "`HUB_WEBHOOK_TOLERANCE_S` from now is refused"},
    "wechatEncryptType": {"type": "apiKey", "in": "query", "name": "encrypt_type",
                          "description": "`aes` in safe mode"},
    "wechatNonce": {"type": "apiKey", "in": "query", "name": "nonce",
                    "description": "WeChat's random string, signed"},
    "pushToken": {"type": "apiKey", "in": "query", "name": "token",
                  "description": "`HUB_PUSH_TOKEN`, for providers that sign nothing "
                                 "(Aliyun SMS, Tencent SMS, Tencent CCC)"},
    "twilioSignature": {"type": "apiKey", "in": "header", "name": "X-Twilio-Signature",
                        "description": "Base64(HMAC-SHA1(`HUB_TWILIO_AUTH_TOKEN`, "
                                       "`HUB_PUBLIC_URL` + path + query + each form name and "
                                       "value, sorted by name))"},
}

_STATUS_TEXT = {400: "Invalid payload", 401: "Not authenticated", 413: "Payload too large",
                415: "Unsupported media type", 429: "Rate limited",
                503: "Broker unavailable: nothing was stored, retry after `Retry-After` seconds"}


def example_text(name: str) -> str:
    return resources.files("hub.gateway").joinpath("examples", name).read_text("utf-8")


def _example_value(name: str) -> Any:
    text = example_text(name)
    return orjson.loads(text) if name.endswith(".json") else text


class _Schemas:
    """JSON schemas of pydantic types, their definitions gathered into components."""

    def __init__(self) -> None:
        self.components: dict[str, dict] = {}

    def of(self, schema: Any) -> dict:
        if isinstance(schema, dict):
            return self._hand_written(schema)
        out = TypeAdapter(schema).json_schema(ref_template=_REF)
        self.components.update(out.pop("$defs", {}))
        if "$ref" not in out and isinstance(schema, type) and out.get("type") == "object":
            # A model's own schema goes to components too, so clients get a named type.
            self.components[schema.__name__] = out
            return {"$ref": _REF.format(model=schema.__name__)}
        return out

    def _hand_written(self, value: Any) -> Any:
        """A copy without ``x-model`` markers, each marked model added to components."""
        if isinstance(value, list):
            return [self._hand_written(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "x-model" in value:
            self.of(value["x-model"])
        return {k: self._hand_written(v) for k, v in value.items() if k != "x-model"}


def _body(schemas: _Schemas, bodies: Iterable[Body]) -> dict:
    content = {}
    for body in bodies:
        media: dict[str, Any] = {"schema": schemas.of(body.schema)}
        if body.xml_root:
            media["schema"] = {**media["schema"], "xml": {"name": body.xml_root}}
        examples = [n for n in body.examples if not n.endswith(".hex")]
        if examples:
            media["examples"] = {n.rsplit("/", 1)[-1].split(".")[0]: {
                "summary": f"real format ({n})", "value": _example_value(n)} for n in examples}
        for name in set(body.examples) - set(examples):
            # JSON cannot carry bytes: binary examples are given in hex.
            media["x-example-hex"] = example_text(name).strip()
        content[body.media_type] = media
    return {"required": True, "content": content}


def _answer(schemas: _Schemas, answer: Answer) -> dict:
    media: dict[str, Any] = {"schema": schemas.of(answer.schema)}
    if answer.example is not None:
        media["example"] = answer.example
    return {"description": answer.description, "content": {answer.media_type: media}}


def _errors(errors: Iterable[type[HubError]], media_types: Iterable[str]) -> dict:
    by_status: dict[int, list[type[HubError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    out = {}
    for status, classes in sorted(by_status.items()):
        codes = ", ".join(f"`{c.code}`" for c in classes)
        content = {}
        for media_type in media_types:
            if media_type == "application/json":
                content[media_type] = {
                    "schema": {"$ref": _REF.format(model="ErrorBody")},
                    "examples": {c.code: {"value": {"error": {"code": c.code, "message": "..."}}}
                                 for c in classes}}
            else:  # a page for people (the QR form)
                content[media_type] = {"schema": {"type": "string"}}
        response: dict[str, Any] = {"description": f"{_STATUS_TEXT[status]}: {codes}",
                                    "content": content}
        if any(issubclass(c, BrokerUnavailable) for c in classes):
            response["headers"] = {"Retry-After": {
                "description": "seconds", "schema": {"type": "integer", "minimum": 1}}}
        out[str(status)] = response
    return out


def _param(p: Param) -> dict:
    return {"name": p.name, "in": p.location, "description": p.description,
            "required": p.required or p.location == "path", "schema": p.schema}


def _operation(schemas: _Schemas, connector: type[Connector], doc: Doc) -> dict:
    op: dict[str, Any] = {
        "tags": ["pages"] if doc.path else ["channels"],
        "summary": connector.summary if not doc.path else doc.description.split(".")[0],
        "description": doc.description,
        "operationId": re.sub(r"[^a-z0-9]+", "_",
                              f"{doc.method} {doc.path or connector.path}".lower()).strip("_"),
        "responses": {**{str(a.status): _answer(schemas, a) for a in doc.answers},
                      **_errors(doc.errors, doc.error_media_types)},
    }
    if doc.parameters:
        op["parameters"] = [_param(p) for p in doc.parameters]
    if doc.bodies:
        op["requestBody"] = _body(schemas, doc.bodies)
    op["security"] = [{name: [] for name in requirement} for requirement in doc.security]
    return op


def install(app: FastAPI, connectors: Iterable[type[Connector]]) -> None:
    """Make ``app.openapi()`` return the full document (built once, then cached)."""
    connectors = list(connectors)

    def build() -> dict:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            schemas = _Schemas()
            schemas.of(ErrorBody)
            paths = document.setdefault("paths", {})
            for connector in connectors:
                for doc in connector.docs:
                    path = doc.path or connector.path
                    paths.setdefault(path, {})[doc.method.lower()] = \
                        _operation(schemas, connector, doc)
            components = document.setdefault("components", {})
            components.setdefault("schemas", {}).update(schemas.components)
            components["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
