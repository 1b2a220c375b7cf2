"""Outbound pacing for Telegram: ~30 messages/s overall, 1/s per chat, 20/min per group, retry_after."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond

from storage.ratelimit import Limits

GLOBAL_PER_SECOND = 30
CHAT_INTERVAL = 1.0
GROUP_PER_MINUTE = 20


def is_group(chat_id: int | str) -> bool:
    return str(chat_id).startswith("-")


class Pacer:
    """When the next message may go: a sliding window for the whole bot, one for each group, a gap per
    chat, and a hold per chat after Telegram's 429 (`retry_after`), so one limited chat holds back no other.

    These windows are this process's. With `limits` over Redis (several processes), `take` also waits
    for a place in the same three windows kept for the whole bot, just before each message goes out; the
    retry_after holds stay per process (Telegram answers each process's own 429)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        per_second: int = GLOBAL_PER_SECOND,
        chat_interval: float = CHAT_INTERVAL,
        group_per_minute: int = GROUP_PER_MINUTE,
        limits: Limits | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.per_second = per_second
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self._recent: deque[float] = deque()
        self._last: dict[str, float] = {}  # chat -> when its last message went, oldest first
        self._groups: dict[str, deque[float]] = {}
        self._held: dict[str, float] = {}
        self.shared = limits if limits is not None and limits.shared is not None else None
        self.sleep = sleep
        self._all = RateLimitItemPerSecond(per_second)
        self._chat = RateLimitItemPerSecond(1, max(1, math.ceil(chat_interval))) if chat_interval > 0 else None
        self._group = RateLimitItemPerMinute(group_per_minute)

    async def take(self, chat_id: int | str, gap: bool = True) -> None:
        """Over Redis: wait for this message's place in the bot-wide windows (`gap`: the chat's and the
        group's too), then take it. Per process: nothing to do (`wait` already paced it)."""
        if self.shared is None:
            return
        chat = str(chat_id)
        windows = [(self._all, ("pace", "all"))]
        if gap and self._chat is not None:
            windows.insert(0, (self._chat, ("pace", "chat", chat)))
        if gap and is_group(chat):
            windows.insert(0, (self._group, ("pace", "group", chat)))
        for item, ids in windows:
            while not await self.shared.hit(item, *ids):
                await self.sleep(max(0.01, await self.shared.wait(item, *ids)))

    def _trim(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        for chat, sent in list(self._groups.items()):
            while sent and sent[0] <= now - 60.0:
                sent.popleft()
            if not sent:
                del self._groups[chat]
        last, horizon = self._last, now - self.chat_interval
        while last:  # oldest first (sent() re-inserts a chat at the end): only the expired are visited
            chat = next(iter(last))
            if last[chat] > horizon:
                break
            del last[chat]
        for chat, until in list(self._held.items()):
            if until <= now:
                del self._held[chat]

    def chat_wait(self, chat_id: int | str) -> float:
        """Seconds until this chat may get a message (ignoring the bot-wide limit)."""
        chat, now = str(chat_id), self.clock()
        self._trim(now)
        ready = max(self._held.get(chat, now), self._last.get(chat, now - self.chat_interval) + self.chat_interval)
        sent = self._groups.get(chat)
        if is_group(chat) and sent and len(sent) >= self.group_per_minute:
            ready = max(ready, sent[-self.group_per_minute] + 60.0)
        return max(0.0, ready - now)

    def global_wait(self) -> float:
        now = self.clock()
        self._trim(now)
        if len(self._recent) < self.per_second:
            return 0.0
        return max(0.0, self._recent[-self.per_second] + 1.0 - now)

    def wait(self, chat_id: int | str) -> float:
        return max(self.chat_wait(chat_id), self.global_wait())

    def held(self, horizon: float = 0.0) -> frozenset[str]:
        """Chats that cannot take a message within `horizon` seconds."""
        now = self.clock()
        self._trim(now)
        chats = set(self._held) | set(self._last) | set(self._groups)
        return frozenset(c for c in chats if self.chat_wait(c) > horizon)

    def sent(self, chat_id: int | str) -> None:
        chat, now = str(chat_id), self.clock()
        self._recent.append(now)
        self._last.pop(chat, None)  # to the end: the dict stays in the order of sending
        self._last[chat] = now
        if is_group(chat):
            self._groups.setdefault(chat, deque()).append(now)

    def hold(self, chat_id: int | str, seconds: float) -> None:
        chat = str(chat_id)
        self._held[chat] = max(self._held.get(chat, 0.0), self.clock() + seconds)
