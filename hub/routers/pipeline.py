"""The routing pipeline: identify -> classify -> flag -> assess risk -> route.
Pure: given the same event, directory and policy it returns the same answer."""

from __future__ import annotations

from dataclasses import dataclass

from hub.event import Event, RoutedEvent
from hub.routers.classify import classify, flags_for
from hub.routers.identity import CustomerDirectory
from hub.routers.policy import Policy
from hub.routers.risk import assess


@dataclass
class Router:
    directory: CustomerDirectory
    policy: Policy
    sla_scale: float = 1.0

    def route(self, event: Event) -> RoutedEvent:
        customer = self.directory.resolve(event)
        flags = flags_for(event)
        classification = classify(event, flags=flags)  # a stopped car's rescue reads them
        risk = assess(event, customer, classification, flags)
        if risk.level >= 4:
            flags = sorted({*flags, "major"})
        route = self.policy.decide(customer.tier, classification.type, flags,
                                   event.received_at, self.sla_scale)
        return RoutedEvent(**event.model_dump(by_alias=True), customer=customer,
                           classification=classification, flags=flags, risk=risk, route=route)


def customer_key(routed: RoutedEvent) -> str:
    """The routed topics' key: all of one customer's events on one partition."""
    c, v = routed.contact, routed.vehicle
    return (routed.customer.customer_id or c.phone or c.email or c.wechat_openid or v.vin
            or routed.event_id)
