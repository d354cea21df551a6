"""400 hotline: the CTI platform posts one call record after each call
(contract §3.1), signed per Standard Webhooks with source secret ``hotline``."""

from hub.connectors.base import StandardWebhookJson


class HotlineConnector(StandardWebhookJson):
    channel = "hotline"
    source = "hotline"
    path = "/v1/channels/hotline"
    summary = "CTI call record (contract §3.1)"
