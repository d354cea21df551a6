"""Identity, classification, risk and routing policy: the worker's decisions,
each a small step over the canonical event, composed in :mod:`.pipeline`."""
