"""The car: the TSP (connected-car platform) posts vehicle events (contract
§3.3: airbag, eCall/bCall, alarms, DTCs, voice assistant), signed per Standard
Webhooks with source secret ``telematics``."""

from hub.connectors.base import StandardWebhookJson


class TelematicsConnector(StandardWebhookJson):
    channel = "telematics"
    source = "telematics"
    path = "/v1/channels/telematics"
    summary = "TSP vehicle event (contract §3.3)"
