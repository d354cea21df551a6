"""Official website: the site's backend posts each submitted form (contract
§3.2), signed per Standard Webhooks with source secret ``web``."""

from hub.connectors.base import StandardWebhookJson
from hub.connectors.docs import STANDARD_WEBHOOKS, Body, Doc
from hub.normalizers.web import WebForm


class WebConnector(StandardWebhookJson):
    channel = "web"
    source = "web"
    path = "/v1/channels/web"
    summary = "Website form (contract §3.2)"
    docs = (Doc("One submitted form; `topic` is the site's dropdown, a hint only.",
                bodies=(Body("application/json", WebForm, ("web/delivery_delay.json",)),),
                security=(STANDARD_WEBHOOKS,)),)
