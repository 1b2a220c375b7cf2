"""Refuses to serve on a broken database: checks at start and periodically, alerts admins, stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from storage.health import DbHealth

log = logging.getLogger(__name__)
EXIT_BROKEN_DB = 3  # the exit status a supervisor sees
CHECK_EVERY = 5.0


def alert_text(reason: str, who: str) -> str:
    return f"⚠️ 数据库不可用：{reason}。{who}已停止服务并退出，请检查数据库文件后重新启动。"


async def check_at_start(health: DbHealth, alert: Callable[[str], Awaitable[None]] | None) -> bool:
    result = await health.check()
    if result.ok:
        return True
    log.critical("database unusable at start: %s; refusing to serve", result.reason)
    if alert is not None:
        await alert(result.reason)
    return False


async def watch(
    health: DbHealth, on_broken: Callable[[str], Awaitable[None]], stop: asyncio.Event, every: float = CHECK_EVERY
) -> None:
    """Until `stop`: check every `every` seconds; on the first failure call `on_broken` and return."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
            return
        except TimeoutError:
            pass
        result = await health.check()
        if not result.ok:
            log.critical("database became unusable: %s; stopping", result.reason)
            await on_broken(result.reason)
            return


def admin_alert(bot, chat_id: int | None, who: str) -> Callable[[str], Awaitable[None]]:
    """Sends straight to Telegram (the notifications outbox lives in the broken database)."""

    async def send(reason: str) -> None:
        if not chat_id or bot is None:
            return
        try:
            await bot.send_message(chat_id, alert_text(reason, who))
        except Exception as e:  # noqa: BLE001 - the exit status and the log still tell
            log.error("could not alert the admins: %s", type(e).__name__)

    return send
