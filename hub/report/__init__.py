"""``hub report`` (contract §1, §12): the center's statistics from hub.cases,
hub.escalations and hub.alerts.

:mod:`.stats` computes every table from lists of dicts (pure), :mod:`.text`
prints them, :mod:`.page` writes the HTML page with its charts
(:mod:`.charts`), and :mod:`.source` reads the topics from the broker."""
