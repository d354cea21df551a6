"""The car: the TSP (connected-car platform) posts vehicle events (contract
§3.3: airbag, eCall/bCall, alarms, DTCs, voice assistant), signed per Standard
Webhooks with source secret ``telematics``."""

from hub.connectors.base import StandardWebhookJson
from hub.connectors.docs import STANDARD_WEBHOOKS, Body, Doc
from hub.normalizers.telematics import VehicleEvent


class TelematicsConnector(StandardWebhookJson):
    channel = "telematics"
    source = "telematics"
    path = "/v1/channels/telematics"
    summary = "TSP vehicle event (contract §3.3)"
    docs = (Doc("One vehicle event; airbag and eCall triggers are routed as rescue.",
                bodies=(Body("application/json", VehicleEvent,
                             ("telematics/airbag.json", "telematics/battery_alarm.json")),),
                security=(STANDARD_WEBHOOKS,)),)
