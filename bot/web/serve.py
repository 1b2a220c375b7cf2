"""Runs the web front door (`python -m bot web`, or inside `run` when WEB_PORT is set); sets passwords."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.web import auth
from bot.web.app import Desk, make_app
from dialogs.clock import utcnow
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
DEFAULT_PORT = 8080


def desk_of(services) -> Desk:
    s = services.settings
    return Desk(
        services.sessionmaker,
        services.blobs,
        services.calendar,
        window_name=s.web_window_name,
        phone=s.web_phone,
        secure_cookies=s.web_secure_cookies,
        bot_username=s.bot_username,
        intake=services.intake,
        limits=services.limits,
    )


async def start(services, host: str, port: int, mount=None) -> web.AppRunner:
    """The one listener; `mount(root)` may add other rooms' routes (webhook, metrics) before it starts."""
    root = make_app(desk_of(services), services.dispatch.webhook_secrets())
    if mount is not None:
        mount(root)
    runner = web.AppRunner(root, access_log=None)  # an access log would record references and lookups
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("workbench listening on http://%s:%s/desk/", host, port)
    return runner


async def serve(services) -> None:
    s = services.settings
    runner = await start(services, s.web_host, s.web_port or DEFAULT_PORT)
    print(f"工作台已启动：http://{s.web_host}:{s.web_port or DEFAULT_PORT}/desk/ （Ctrl+C 退出）", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def passwd(services, telegram_id: int, line: str) -> str:
    password = line.rstrip("\r\n")
    async with UnitOfWork(services.sessionmaker) as uow:
        problem = await auth.set_password(uow, telegram_id, password, utcnow())
    return problem or f"已为工作人员 {telegram_id} 设置工作台密码（原有的登录会话已全部退出）。"
