"""The HTTP gateway: every channel's webhook endpoint, health, metrics, docs."""
