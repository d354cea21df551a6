"""hub: omnichannel intake and message-bus integration hub.

Channels push webhooks to the gateway (``hub.gateway``); connectors
(``hub.connectors``) verify and parse them, normalizers (``hub.normalizers``)
turn them into one canonical event (``hub.event``), and the stream worker
(``hub.worker``) identifies, classifies, rates and routes them
(``hub.routers``).
"""

__version__ = "0.1.0"
