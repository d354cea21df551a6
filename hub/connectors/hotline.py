"""400 hotline: the CTI platform posts one call record after each call
(contract §3.1), signed per Standard Webhooks with source secret ``hotline``."""

from hub.connectors.base import StandardWebhookJson
from hub.connectors.docs import STANDARD_WEBHOOKS, Body, Doc
from hub.normalizers.hotline import CallRecord


class HotlineConnector(StandardWebhookJson):
    channel = "hotline"
    source = "hotline"
    path = "/v1/channels/hotline"
    summary = "CTI call record (contract §3.1)"
    docs = (Doc("One call record after each call. IVR keys: 1 sales, 2 after-sales, "
                "3 roadside rescue, 4 complaints, 0 operator; the transcript wins over them.",
                bodies=(Body("application/json", CallRecord,
                             ("hotline/vip_complaint.json", "hotline/repair_booking.json")),),
                security=(STANDARD_WEBHOOKS,)),)
