"""Replies as outbox rows: written in the answer's transaction, so a reply that was not sent is sent later."""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dialogs.model import Reply
from dialogs.texts import split_text
from storage.cases import Notifications
from storage.models import Notification

LEASE = timedelta(seconds=30)  # a killed writer's replies are taken over by a notifier after this


def owner_token() -> str:
    """Who claims rows: this process (host, pid and a random part, as pids are reused)."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


_IN_FLIGHT: dict[str, set[int]] = {}


def in_flight(owner: str) -> set[int]:
    """The rows `owner`'s senders (its answers' ReplySender and its Notifier) hold in memory now, from
    their claim until they are done with them. A row claimed by `owner` and not in here is held by no
    one: its own senders may take it at once (storage.cases.Notifications.take_over_replies), where
    waiting for its lease could stall the chat (#12). One set per owner token, so per process."""
    return _IN_FLIGHT.setdefault(owner, set())


def bodies(reply: Reply) -> list[dict[str, Any]]:
    """One JSON body per Telegram message of a reply (long texts split), as the outbox stores them."""
    chunks = split_text(reply.text)
    out: list[dict[str, Any]] = [{"kind": "reply", "text": c} for c in chunks[:-1]]
    buttons = [[{"label": b.label, "data": b.data} for b in row] for row in reply.buttons if row]  # = model_dump
    if reply.request_contact:
        out.append({"kind": "reply", "text": chunks[-1], "contact": True})
        if buttons:
            out.append({"kind": "reply", "text": "也可以：", "buttons": buttons})
    else:
        out.append({"kind": "reply", "text": chunks[-1], "buttons": buttons})
    return out


def queue_replies(
    repo: Notifications,
    chat_id: int,
    replies: list[Reply],
    owner: str,
    now: datetime,
    lease: timedelta = LEASE,
    bot_id: int | None = None,
) -> list[Notification]:
    return [
        repo.queue(chat_id, body, owner, now + lease, bot_id, now=now) for reply in replies for body in bodies(reply)
    ]


@dataclass(frozen=True)
class Queued:
    """An answer's reply rows as its transaction wrote them, claimed by their writer for `lease` from
    `at` (time.monotonic(): how long ago, whatever clock the runner was given). `first`: no earlier
    reply of the chat was open in that transaction, so these go out at once, as they are, with no
    take-over query and no re-read (ReplySender.deliver)."""

    rows: list[Notification]
    first: bool
    lease: timedelta = LEASE
    at: float = field(default_factory=time.monotonic)

    def fresh(self, margin: float = 0.5) -> bool:
        """Still well inside the claim (less than `margin` of the lease gone): no one else can have taken them."""
        return time.monotonic() - self.at < self.lease.total_seconds() * margin

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]


def dead_owners(tokens: list[str], me: str) -> frozenset[str]:
    """The owners among `tokens` known to be dead: processes of this host that no longer run (or whose
    pid this very process took over). Others' claims lapse only at their end."""
    host = socket.gethostname()[:24]
    dead = set()
    for token in tokens:
        parts = token.rsplit(":", 2)
        if token == me or len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid == os.getpid():
            dead.add(token)
            continue
        if not _running(pid):
            dead.add(token)
    return frozenset(dead)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed child its parent has not reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[-1].split()[0] not in (b"Z", b"X")
    except OSError:
        return True
