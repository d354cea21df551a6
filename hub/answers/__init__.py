"""Answering the customer (contract §10): one outbound client per vendor,
each reached only through its ``*_API_BASE`` / ``*_ENDPOINT`` /
``HUB_SMTP_RELAY`` setting, and the dispatcher stage that sends every reply
of ``hub.replies`` once and records what became of it on ``hub.deliveries``.

Every client returns :class:`~hub.answers.outcome.Sent` or raises a typed
outcome: :class:`~hub.answers.outcome.RetryLater` (throttling, 5xx,
timeouts) or :class:`~hub.answers.outcome.GiveUp` (invalid number,
template, permission)."""
