"""``hub erase``: a customer's personal data taken out of what the hub keeps
(PIPL: the right to deletion).

- :mod:`.identifier`: the one identifier asked for, normalized as the hub does;
- :mod:`.find`: the customer records and cases it leads to;
- :mod:`.tombstones`: null values for their keys, on the compacted topics and
  on the watch's input, so every stage that keeps them lets them go;
- :mod:`.audit`: the request recorded on ``hub-erasures`` without the identifier;
- :mod:`.run`: the whole request, and what it could not erase (append-only
  topics keep records until their retention ends)."""
