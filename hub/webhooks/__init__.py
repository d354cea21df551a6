"""Signed webhooks to ticket systems that don't read Kafka (contract §11)."""
