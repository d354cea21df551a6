"""The stream worker (faust-streaming): hub.intake -> hub.routed.{tier}.{type}."""
