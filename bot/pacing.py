"""Outbound pacing for Telegram: ~30 messages/s overall, 1/s per chat, 20/min per group, retry_after."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

GLOBAL_PER_SECOND = 30
CHAT_INTERVAL = 1.0
GROUP_PER_MINUTE = 20


def is_group(chat_id: int | str) -> bool:
    return str(chat_id).startswith("-")


class Pacer:
    """When the next message may go: a sliding window for the whole bot, one for each group, a gap per
    chat, and a hold per chat after Telegram's 429 (`retry_after`), so one limited chat holds back no other."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        per_second: int = GLOBAL_PER_SECOND,
        chat_interval: float = CHAT_INTERVAL,
        group_per_minute: int = GROUP_PER_MINUTE,
    ) -> None:
        self.clock = clock
        self.per_second = per_second
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self._recent: deque[float] = deque()
        self._last: dict[str, float] = {}
        self._groups: dict[str, deque[float]] = {}
        self._held: dict[str, float] = {}

    def _trim(self, now: float) -> None:
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        for chat, sent in list(self._groups.items()):
            while sent and sent[0] <= now - 60.0:
                sent.popleft()
            if not sent:
                del self._groups[chat]
        for chat, at in list(self._last.items()):
            if at <= now - self.chat_interval:
                del self._last[chat]
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
        self._last[chat] = now
        if is_group(chat):
            self._groups.setdefault(chat, deque()).append(now)

    def hold(self, chat_id: int | str, seconds: float) -> None:
        chat = str(chat_id)
        self._held[chat] = max(self._held.get(chat, 0.0), self.clock() + seconds)
