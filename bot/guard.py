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


def degraded_text(reason: str, who: str) -> str:
    return (
        f"⚠️ 数据库暂时无法写入：{reason}。{who}继续运行，申请人收到“未能保存”的提示；"
        "请尽快释放磁盘空间，空间恢复后自动恢复正常，无需重启。"
    )


Alert = Callable[..., Awaitable[None]]  # alert(reason, stopping=True)


async def check_at_start(health: DbHealth, alert: Alert | None) -> bool:
    """False: refuse to serve. A full disk is no reason to refuse: it passes once space is freed, and
    each update is told truthfully meanwhile that it was not kept."""
    result = await health.check()
    if result.ok:
        return True
    if result.transient:
        log.error("database cannot take writes at start: %s; serving on", result.reason)
        if alert is not None:
            await alert(result.reason, stopping=False)
        return True
    log.critical("database unusable at start: %s; refusing to serve", result.reason)
    if alert is not None:
        await alert(result.reason)
    return False


async def watch(
    health: DbHealth,
    on_broken: Callable[[str], Awaitable[None]],
    stop: asyncio.Event,
    every: float = CHECK_EVERY,
    on_degraded: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Until `stop`: check every `every` seconds; on the first lasting failure call `on_broken` and
    return. A passing one (a full disk) calls `on_degraded` once per episode and the watch goes on."""
    degraded = False
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
            return
        except TimeoutError:
            pass
        result = await health.check()
        if result.ok:
            if degraded:
                log.warning("database takes writes again")
            degraded = False
        elif result.transient:
            if not degraded:
                log.error("database cannot take writes: %s; serving on", result.reason)
                if on_degraded is not None:
                    await on_degraded(result.reason)
            degraded = True
        else:
            log.critical("database became unusable: %s; stopping", result.reason)
            await on_broken(result.reason)
            return


def admin_alert(bot, chat_id: int | None, who: str) -> Alert:
    """Sends straight to Telegram (the notifications outbox lives in the broken database)."""

    async def send(reason: str, stopping: bool = True) -> None:
        if not chat_id or bot is None:
            return
        try:
            await bot.send_message(chat_id, (alert_text if stopping else degraded_text)(reason, who))
        except Exception as e:  # noqa: BLE001 - the exit status and the log still tell
            log.error("could not alert the admins: %s", type(e).__name__)

    return send
