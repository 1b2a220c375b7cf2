"""Moving-window limits (`limits`): over Redis for the whole bot when REDIS_URL is set, else per process.

The limits' shared state lives here, beside the database's: every limit of the bot (flood, callback
refusals, outbound pacing) hits one `Limits`. With Redis, all processes share the windows (`limits`'
async Redis storage on the redis-py client, keys under one prefix). Should Redis fail, this process's
own window decides until it is back, so a Redis outage neither stops the bot nor lifts the limits.
Without Redis the windows are this process's, decided without an await (the flood guard relies on
that to run before the chat's place in line is taken)."""

from __future__ import annotations

import logging
import time

from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as SharedLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)
PREFIX = "hebei"
TIMEOUT = 1.0  # seconds a Redis call may take before this process's window decides
COMPLAIN_EVERY = 60.0  # seconds between two log lines about an unreachable Redis


def redis_storage(url: str, prefix: str = PREFIX) -> RedisStorage:
    """`redis://host:port/db` (or rediss://, redis+unix://) as `limits`' async storage on redis-py."""
    uri = url if url.startswith("async+") else f"async+{url}"
    return RedisStorage(
        uri,
        implementation="redispy",
        key_prefix=prefix,
        wrap_exceptions=True,
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
    )


EXPIRE_EVERY = 10.0  # seconds between two sweeps of this process's expired windows


class LocalWindows(MemoryStorage):
    """`limits`' memory storage without its sweeper thread. MemoryStorage starts a 10 ms
    `threading.Timer` on any hit that finds the last one finished, so a thread per update once
    updates come more than 10 ms apart (measured: ~5 % of an update's CPU). Here the expired
    windows are dropped inline instead, at most once per EXPIRE_EVERY; a window's own hits are
    trimmed by the moving window as before, so the limits decide exactly as they did."""

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()
        self._swept = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces MemoryStorage.__schedule_expiry
        now = time.monotonic()
        if now - self._swept >= EXPIRE_EVERY:
            self._swept = now
            self._MemoryStorage__expire_events()


class Limits:
    def __init__(self, redis_url: str | None = None, prefix: str = PREFIX) -> None:
        self.local = MovingWindowRateLimiter(LocalWindows())
        self.redis = redis_storage(redis_url, prefix) if redis_url else None
        self.shared = SharedLimiter(self.redis) if self.redis is not None else None
        self._complained = float("-inf")

    def _down(self, e: Exception) -> None:
        now = time.monotonic()
        if now - self._complained >= COMPLAIN_EVERY:
            self._complained = now
            log.warning("Redis unavailable for the limits (%s); this process's own windows decide", type(e).__name__)

    async def hit(self, item: RateLimitItem, *ids: str) -> bool:
        """Take one from the window of `ids`; False when it is full."""
        if self.shared is not None:
            try:
                return await self.shared.hit(item, *ids)
            except StorageError as e:
                self._down(e)
        return self.local.hit(item, *ids)

    async def wait(self, item: RateLimitItem, *ids: str) -> float:
        """Seconds until the window of `ids` has room (0 when it has now)."""
        if self.shared is not None:
            try:
                stats = await self.shared.get_window_stats(item, *ids)
                return 0.0 if stats.remaining > 0 else max(0.0, stats.reset_time - time.time())
            except StorageError as e:
                self._down(e)
        stats = self.local.get_window_stats(item, *ids)
        return 0.0 if stats.remaining > 0 else max(0.0, stats.reset_time - time.time())

    async def close(self) -> None:
        if self.redis is not None:
            try:
                await self.redis.bridge.storage.aclose()
            except Exception:  # noqa: BLE001 - closing at exit; nothing is lost
                log.debug("could not close the Redis connection of the limits")
