"""The identifier an erasure is asked for, normalized the way the hub indexes
customers (:mod:`hub.routers.identity`), so ``139-0000-9999`` finds the
customer loaded as ``+86 139 0000 9999``."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from hub.errors import InvalidPayload
from hub.event import Event
from hub.phones import to_e164
from hub.pii import mask_email, mask_phone
from hub.routers.identity import email_key, vin_check_digit_ok, vin_key

# Option name -> the customer record's key kind (hub.routers.identity.customer_keys).
KINDS = {"phone": "phone", "email": "email", "openid": "wechat_openid", "vin": "vin"}


@dataclass(frozen=True)
class Identifier:
    kind: str   # phone | email | wechat_openid | vin
    value: str  # normalized: E.164, lower case without +tag, as given, upper case

    def masked(self) -> str:
        """For the screen and the audit record: enough to tell requests apart."""
        if self.kind == "phone":
            return mask_phone(self.value)
        if self.kind == "email":
            return mask_email(self.value)
        if self.kind == "vin":
            return f"{self.value[:3]}***{self.value[-4:]}"
        return f"{self.value[:4]}***"

    def digest(self, key: str) -> str:
        """A keyed hash: the same identifier gives the same digest (a repeated
        request is recognized) and no one without the key can test a guess."""
        return hmac.new(key.encode(), f"{self.kind}:{self.value}".encode(),
                        hashlib.sha256).hexdigest()


def _vin(raw: str, check_digit: bool) -> str:
    vin = vin_key(raw)
    if vin is None:
        raise InvalidPayload("--vin is not a VIN: 17 letters and digits, no I, O or Q")
    if check_digit and not vin_check_digit_ok(vin):
        raise InvalidPayload(f"--vin {vin[:3]}***{vin[-4:]} fails the check digit (position "
                             "9, ISO 3779): a typo? If the VIN is right as written, pass "
                             "--no-check-digit")
    return vin


def parse(*, phone: str | None = None, email: str | None = None, openid: str | None = None,
          vin: str | None = None, check_digit: bool = True) -> Identifier:
    """Exactly one of the options, normalized; :class:`InvalidPayload` otherwise."""
    given = {k: v for k, v in {"phone": phone, "email": email, "openid": openid,
                               "vin": vin}.items() if v is not None}
    if len(given) != 1:
        named = ", ".join(f"--{k}" for k in given) or "none"
        raise InvalidPayload("give exactly one of --phone, --email, --openid, --vin "
                             f"(given: {named})")
    (option, raw), = given.items()
    raw = raw.strip()
    if option == "phone":
        value = to_e164(raw)
        if value is None:
            raise InvalidPayload(f"--phone {mask_phone(raw)} is not a valid phone number")
    elif option == "email":
        value = email_key(raw)
        if value is None:
            raise InvalidPayload("--email is not an e-mail address")
    elif option == "openid":
        if not raw or any(c.isspace() for c in raw):
            raise InvalidPayload("--openid is empty or has spaces")
        value = raw
    else:
        value = _vin(raw, check_digit)
    return Identifier(KINDS[option], value)


def event_digests(event: Event, key: str) -> set[str]:
    """The digests of an event's contact points and vehicle, as an erasure of
    each would have recorded them: what tells a replay the person is erased."""
    c = event.contact
    found = [("phone", to_e164(c.phone) if c.phone else None),
             ("email", email_key(c.email) if c.email else None),
             ("wechat_openid", c.wechat_openid),
             ("vin", vin_key(event.vehicle.vin) if event.vehicle.vin else None)]
    return {Identifier(kind, value).digest(key) for kind, value in found if value}
