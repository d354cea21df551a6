"""Channel payload -> canonical :class:`~hub.event.Event`. Pure functions, no I/O."""
