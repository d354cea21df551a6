"""Everything that talks to Kafka: topic specs, the producer, the embedded broker."""
