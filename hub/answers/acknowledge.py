"""The acknowledgement of a routed event: the reply the hub writes to
``hub.replies`` as it routes (contract §10), or ``None``.

A pure function of the event and the policy: the case reference and the
first-response promise of the event's route, in the customer's language and
script (simplified, traditional, or English for any other language), from
the policy's templates. The reply id comes from the event id, so the event
is acknowledged once however often it is routed again.

None for: a policy or channel that asks for none; opt-outs (退订); WeChat
events that carry no words from the customer (a QR scan, a subscription);
vehicle events without a phone; an event with no way back at all.
(Auto-replies never become events: the mail normalizer drops them.)"""

from __future__ import annotations

import math

from hub.answers.reply import case_reference
from hub.event import RoutedEvent, utcnow
from hub.routers.policy import AckTemplate, Policy


def script(language: str | None) -> str:
    lang = (language or "").lower()
    if lang.startswith("zh"):
        return "zh-Hant" if "hant" in lang or lang in ("zh-tw", "zh-hk", "zh-mo") else "zh-Hans"
    return "en"


def promise(hours: float, template: AckTemplate) -> str:
    if hours < 1:
        return template.minutes.format(n=max(math.ceil(hours * 60), 1))
    return template.hours.format(n=f"{hours:g}" if hours != int(hours) else int(hours))


def _promised_hours(event: RoutedEvent, policy: Policy) -> float:
    """The route's first-response time without HUB_SLA_SCALE: what the
    center promises, not what a test clock runs."""
    triage = "triage" if event.route.rule.startswith("triage.") else None
    route = policy.decide(event.customer.tier, event.classification.type, list(event.flags),
                          event.received_at, 1.0, triage)
    return (route.first_response_due - event.received_at).total_seconds() / 3600


def acknowledgement(event: RoutedEvent, policy: Policy) -> dict | None:
    rule = policy.acknowledgements
    if not rule.enabled or event.channel not in rule.channels:
        return None
    if "opt_out" in event.flags:
        return None
    if event.channel == "wechat" and event.context.qr and not event.text.strip():
        return None
    contact = event.contact
    if event.channel == "telematics" and not contact.phone:
        return None
    if not (contact.phone or contact.email or contact.wechat_openid):
        return None
    template = rule.templates[script(event.language)]
    case = case_reference(event.event_id)
    text = template.text.format(case=case, promise=promise(_promised_hours(event, policy),
                                                           template))
    reply = {"reply_id": f"ack-{event.event_id}", "event_id": event.event_id,
             "kind": "acknowledgement", "channel": event.channel,
             "to": {"phone": contact.phone, "email": contact.email,
                    "wechat_openid": contact.wechat_openid},
             "text": text, "at": utcnow().isoformat().replace("+00:00", "Z")}
    if event.channel == "email":
        reply["subject"] = event.subject
        reply["in_reply_to"] = event.channel_message_id
    return reply
