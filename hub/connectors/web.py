"""Official website: the site's backend posts each submitted form (contract
§3.2), signed per Standard Webhooks with source secret ``web``."""

from hub.connectors.base import StandardWebhookJson


class WebConnector(StandardWebhookJson):
    channel = "web"
    source = "web"
    path = "/v1/channels/web"
    summary = "Website form (contract §3.2)"
