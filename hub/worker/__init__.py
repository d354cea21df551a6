"""The stream worker (a stage on hub.stream): hub.intake -> hub.routed.{tier}.{type}."""
