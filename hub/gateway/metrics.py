"""Prometheus metrics of the gateway."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter("hub_webhook_requests_total", "Webhook requests by channel and outcome",
                   ["channel", "outcome"])
LATENCY = Histogram("hub_webhook_seconds", "Webhook handling time (receive to answer)",
                    ["channel", "outcome"],
                    buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
EVENTS = Counter("hub_events_stored_total", "Events durably stored on hub.intake",
                 ["channel", "status"])
