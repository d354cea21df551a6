"""Twilio Programmable Messaging: ``POST
/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic auth
(AccountSid, AuthToken) and a form body (To, From, Body).

Twilio answers 201 with the Message resource (``sid`` SM…) and errors as
``{"code", "message", "more_info", "status"}``: 429 (code 20429) and 5xx are
worth another try; a 4xx (21211 invalid To, 21610 unsubscribed, 21408 no
permission for the region, 20003 bad credentials) is not."""

from __future__ import annotations

import httpx

from hub.answers.outcome import Sent, http_status_error, json_answer, transport_error

PROVIDER = "twilio"


class TwilioSms:
    def __init__(self, http: httpx.AsyncClient, base: str, account_sid: str, auth_token: str,
                 sender: str) -> None:
        self.http, self.base = http, base.rstrip("/")
        self.sid, self.token, self.sender = account_sid, auth_token, sender

    async def send(self, phone: str, text: str) -> Sent:
        url = f"{self.base}/2010-04-01/Accounts/{self.sid}/Messages.json"
        try:
            response = await self.http.post(url, data={"To": phone, "From": self.sender,
                                                       "Body": text},
                                            auth=(self.sid, self.token))
        except httpx.HTTPError as exc:
            raise transport_error(PROVIDER, exc) from exc
        answer = json_answer(response)
        if response.status_code in (200, 201) and answer.get("sid"):
            return Sent(PROVIDER, answer["sid"])
        raise http_status_error(PROVIDER, response, answer.get("code"),
                                str(answer.get("message", response.text[:300])))
