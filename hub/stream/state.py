"""A stage's state: a key-value table per input partition, kept in a local
SQLite file and made durable by a changelog topic co-partitioned with the
input (partition p of the changelog belongs to partition p of the input).

Kafka is the truth, the file a cache of it: the file records how far into
the changelog it is, so a restarted worker reads only the changelog's tail,
however long the history (Kafka Streams keeps RocksDB and a checkpoint file
for the same reason). A partition that moves to a worker without the file
replays its changelog from the start; on Apache Kafka compaction bounds that
to the live keys. A changelog that ends before the file's position means the
broker lost it (a memory-only broker restarted): the file's rows for that
partition are dropped and rebuilt from what the broker has.

Writes are buffered per batch (``put``/``delete``), sent to the changelog with
the batch's outputs, and applied to the file after the broker acknowledged
them (``applied``)."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

_SEP = "\x1f"


def changelog_key(ns: str, key: str) -> bytes:
    return f"{ns}{_SEP}{key}".encode()


def split_key(raw: bytes) -> tuple[str, str]:
    ns, _, key = raw.decode().partition(_SEP)
    return ns, key


class StateFile:
    """One SQLite file per worker slot. Two workers on one machine take two
    slots (an exclusive lock per slot), so a restarted worker finds its own
    file again and no two processes write one file."""

    def __init__(self, directory: Path, group: str) -> None:
        directory = directory / group
        directory.mkdir(parents=True, exist_ok=True)
        slot = 0
        while True:
            lock = (directory / f"slot-{slot}.lock").open("a")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                lock.close()
                slot += 1
        self._lock = lock  # held for the life of the process
        self.path = directory / f"slot-{slot}.sqlite"
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # A lost write is rebuilt from the changelog: fsync on checkpoints only.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS kv (part INTEGER, ns TEXT, key TEXT, value BLOB,
                                           at REAL, PRIMARY KEY (part, ns, key));
            CREATE INDEX IF NOT EXISTS kv_age ON kv (part, ns, at);
            CREATE TABLE IF NOT EXISTS position (part INTEGER PRIMARY KEY, next INTEGER,
                                                 last TEXT);
        """)

    def position(self, part: int) -> tuple[int, str | None]:
        """The changelog offset the file has read to, and a digest of the
        record before it: what tells this broker's changelog from another's."""
        row = self.db.execute("SELECT next, last FROM position WHERE part = ?",
                              (part,)).fetchone()
        return (row[0], row[1]) if row else (0, None)

    def reset(self, part: int) -> None:
        with self.db:
            self.db.execute("DELETE FROM kv WHERE part = ?", (part,))
            self.db.execute("DELETE FROM position WHERE part = ?", (part,))

    def write(self, part: int, changes: list[tuple[str, str, Any]], next_offset: int,
              last: str | None) -> None:
        now = time.time()
        # A replayed changelog may write and delete one key: the last change wins.
        final = {(ns, key): v for ns, key, v in changes}
        puts = [(part, ns, key, orjson.dumps(v), _age(v, now)) for (ns, key), v in final.items()
                if v is not None]
        dels = [(part, ns, key) for (ns, key), v in final.items() if v is None]
        self.db.execute("BEGIN")
        try:
            if dels:
                self.db.executemany("DELETE FROM kv WHERE part=? AND ns=? AND key=?", dels)
            if puts:
                self.db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?, ?)", puts)
            self.db.execute("INSERT OR REPLACE INTO position VALUES (?, ?, ?)",
                            (part, next_offset, last))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def get(self, part: int, ns: str, key: str) -> Any:
        row = self.db.execute("SELECT value FROM kv WHERE part=? AND ns=? AND key=?",
                              (part, ns, key)).fetchone()
        return orjson.loads(row[0]) if row else None

    def keys_upto(self, part: int, ns: str, upto: str, limit: int) -> list[str]:
        """Keys of ``ns`` that sort at or before ``upto``, in order."""
        rows = self.db.execute("SELECT key FROM kv WHERE part=? AND ns=? AND key <= ? "
                               "ORDER BY key LIMIT ?", (part, ns, upto, limit))
        return [r[0] for r in rows]

    def first_key(self, part: int, ns: str) -> str | None:
        row = self.db.execute("SELECT MIN(key) FROM kv WHERE part=? AND ns=?",
                              (part, ns)).fetchone()
        return row[0] if row else None

    def older_than(self, part: int, ns: str, before: float, limit: int) -> list[str]:
        rows = self.db.execute("SELECT key FROM kv WHERE part=? AND ns=? AND at < ? LIMIT ?",
                               (part, ns, before, limit))
        return [r[0] for r in rows]

    def count(self, part: int | None = None) -> int:
        if part is None:
            return self.db.execute("SELECT COUNT(*) FROM kv").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM kv WHERE part=?", (part,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()
        self._lock.close()


def digest(key: bytes | None, value: bytes | None) -> str:
    return hashlib.sha1((key or b"") + b"\0" + (value or b""), usedforsecurity=False).hexdigest()


def _age(value: Any, now: float) -> float:
    """Entries may carry their time as ``t`` (epoch seconds): what the horizon prunes by."""
    if isinstance(value, dict) and isinstance(value.get("t"), int | float):
        return float(value["t"])
    return now


class PartitionState:
    """The table of one input partition, as a stage's steps see it."""

    def __init__(self, file: StateFile, part: int,
                 flusher: Callable[[PartitionState], Awaitable[None]] | None = None) -> None:
        self.file, self.part = file, part
        self._pending: dict[tuple[str, str], Any] = {}
        self._sending: dict[tuple[str, str], Any] = {}
        self._last: str | None = None
        self._flusher = flusher
        self._flushing = asyncio.Lock()

    async def flush(self) -> None:
        """Make the pending changes durable now rather than with the batch: for
        a step whose side effect outside Kafka must not repeat after a crash
        (the dispatcher records its intent before it calls a vendor). Steps
        running side by side flush one at a time, each flush taking what is
        pending by then."""
        if self._flusher is None:
            raise RuntimeError("this table was not given a way to flush")
        async with self._flushing:
            await self._flusher(self)

    def get(self, ns: str, key: str) -> Any:
        if (ns, key) in self._pending:
            return self._pending[(ns, key)]
        return self.file.get(self.part, ns, key)

    def put(self, ns: str, key: str, value: Any) -> None:
        self._pending[(ns, key)] = value

    def delete(self, ns: str, key: str) -> None:
        self._pending[(ns, key)] = None

    def keys_upto(self, ns: str, upto: str, limit: int = 1000) -> list[str]:
        """Keys of ``ns`` up to ``upto`` in order, this batch's writes included:
        an index kept in the key's sort order (deadlines, time buckets)."""
        keys = set(self.file.keys_upto(self.part, ns, upto, limit))
        for (n, key), value in self._pending.items():
            if n == ns and key <= upto:
                (keys.add if value is not None else keys.discard)(key)
        return sorted(keys)[:limit]

    def first_key(self, ns: str) -> str | None:
        """The smallest stored key of ``ns`` (between batches, nothing is pending)."""
        return self.file.first_key(self.part, ns)

    def changes(self) -> list[tuple[str, str, Any]]:
        return [(ns, key, v) for (ns, key), v in self._pending.items()]

    def changelog_records(self) -> list[tuple[bytes, bytes | None]]:
        """The pending changes as changelog records; what ``applied`` will apply."""
        self._sending = dict(self._pending)
        records = [(changelog_key(ns, key), None if v is None else orjson.dumps(v))
                   for (ns, key), v in self._sending.items()]
        self._last = digest(*records[-1]) if records else None
        return records

    def applied(self, next_offset: int) -> None:
        """The broker acknowledged the changes last taken by
        ``changelog_records``, up to ``next_offset``. A key changed again
        meanwhile (a step awaiting while another flushed) stays pending."""
        if self._sending:
            self.file.write(self.part, [(ns, key, v) for (ns, key), v in self._sending.items()],
                            next_offset, self._last)
        for k, v in self._sending.items():
            if self._pending.get(k, self) is v:
                del self._pending[k]
        self._sending = {}

    def discard(self) -> None:
        self._pending.clear()
        self._sending = {}

    def replay(self, records: list) -> int:
        """Apply changelog records read from the broker; returns the next offset."""
        changes = []
        for r in records:
            ns, key = split_key(r.key)
            changes.append((ns, key, None if r.value is None else orjson.loads(r.value)))
        next_offset = records[-1].offset + 1
        self.file.write(self.part, changes, next_offset, digest(records[-1].key,
                                                                 records[-1].value))
        return next_offset
