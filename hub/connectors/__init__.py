"""One module per channel: authenticate the push, parse it, answer the way the
upstream system expects. Registered in :mod:`hub.channels`."""
