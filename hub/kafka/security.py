"""How every Kafka client of the hub joins the cluster (contract §2,
HUB_KAFKA_*): the one place that turns the settings into aiokafka's
keyword arguments, for producers, consumers and admin clients alike."""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context

from hub.settings import Settings


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """``security_protocol`` and, as the protocol needs them, a TLS context
    checking the brokers against ``HUB_KAFKA_SSL_CAFILE`` (the system CAs
    without one) and the SASL mechanism with its credentials. Settings
    validation already refused SASL without credentials."""
    protocol = settings.kafka_security_protocol
    kwargs: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        kwargs["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    if protocol.startswith("SASL_"):
        kwargs |= {"sasl_mechanism": settings.kafka_sasl_mechanism,
                   "sasl_plain_username": settings.kafka_sasl_username,
                   "sasl_plain_password": settings.kafka_sasl_password.get_secret_value()}
    return kwargs
