"""Whether a stream stage is running: its consumer group has members that
finished joining. Asked of the broker, so it holds wherever the workers run;
a worker joins only after its customer directory caught up (hub.worker.app),
so a member in a stable group is a worker routing with fresh data."""

from __future__ import annotations

import asyncio
import time

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError


class GroupWatch:
    def __init__(self, bootstrap: str, group: str, ttl_s: float = 1.0, **client: object) -> None:
        self.group, self._ttl = group, ttl_s
        self._bootstrap, self._client = bootstrap, client
        self._admin: AIOKafkaAdminClient | None = None
        self._checked, self._members = 0.0, 0
        self._lock = asyncio.Lock()

    async def members(self) -> int:
        """Members of a stable group, at most ``ttl_s`` old: probes may poll often."""
        async with self._lock:
            if time.monotonic() - self._checked < self._ttl:
                return self._members
            try:
                if self._admin is None:
                    admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap,
                                                request_timeout_ms=2000, **self._client)
                    await asyncio.wait_for(admin.start(), 3.0)
                    self._admin = admin
                described = await asyncio.wait_for(
                    self._admin.describe_consumer_groups([self.group]), 2.0)
                group = described[0].groups[0]
                _error, _name, state, *_rest, members = group
                self._members = len(members) if state == "Stable" else 0
            except (KafkaError, OSError, TimeoutError, IndexError, ValueError):
                await self.close()
                self._members = 0
            self._checked = time.monotonic()
            return self._members

    async def close(self) -> None:
        if self._admin is not None:
            admin, self._admin = self._admin, None
            try:
                await admin.close()
            except (KafkaError, OSError):
                pass
