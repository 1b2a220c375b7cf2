"""`python -m bot run` with a token: intake (webhook or polling) through the inbox, listener, graceful stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from aiohttp import web

from bot.settings import Settings

log = logging.getLogger("bot")
DEFAULT_PORT = 8080
DRAIN = 10.0  # seconds the updates in hand get to finish at SIGTERM


async def start_listener(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)  # an access log would record chat ids and paths
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("listening on http://%s:%s", host, port)
    return runner


def on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


def compose_run(settings: Settings, migrate: bool = True):
    """What `run` builds before taking updates: (services, bot, dispatcher with every router, pacer, kick)."""
    from bot import compose
    from bot.pacing import Pacer
    from bot.telegram.app import make_bot, make_dispatcher
    from bot.telegram.binding import make_router as binding_router
    from bot.telegram.flood import FloodGuard
    from bot.telegram.helpdesk import make_router as helpdesk_router
    from bot.telegram.staff import make_router as staff_router

    services = compose.build(settings, migrate=migrate)
    bot = make_bot(settings.bot_token.get_secret_value(), settings.telegram_api_base)
    routers = [staff_router(services.sessionmaker, services.blobs, services.calendar)]
    if settings.helpdesk_chat_id:
        routers.insert(0, helpdesk_router(services.sessionmaker, settings.helpdesk_chat_id, services.faq))
    routers.insert(0, binding_router(services.sessionmaker))
    # One pace for the replies and the notifier of this process (and the whole bot's over Redis).
    pacer, kick = Pacer(limits=services.limits), asyncio.Event()
    flood = FloodGuard(f"{settings.flood_per_minute}/minute", limits=services.limits)
    dp = make_dispatcher(services.runner, *routers, flood=flood, pacer=pacer, kick=kick)
    return services, bot, dp, pacer, kick


async def after_start_up(busy: Callable[[], bool], faq, calendar) -> None:
    """What `run` leaves until the updates waiting at start-up are answered (or `AT_LATEST` seconds):
    the collector's pause ends (bot.gc_pause), the FAQ index is built in a thread (a text asking
    before then starts it, bot.faq_loading), then the working-day calendar is loaded in one (its
    package is imported when first consulted: dialogs.workdays)."""
    from bot import gc_pause
    from bot.faq_loading import until_idle

    await until_idle(busy)
    gc_pause.settle()
    await faq.wait()
    try:
        await asyncio.to_thread(calendar.warm_up)
    except Exception:  # the first working-day computation loads it again, and fails in its own turn
        log.exception("the working-day calendar could not be loaded in the background")


async def run_bot(settings: Settings) -> int:
    from bot import guard
    from bot.faq_loading import FaqLoader
    from bot.health import add_health_routes
    from bot.lazy_types import build_first
    from bot.metrics import Metrics, add_metrics_routes
    from bot.notifier import Notifier
    from bot.telegram.app import set_commands
    from bot.telegram.inbox import InboxProcessor
    from bot.telegram.observe import UpdateMetrics
    from bot.telegram.polling import poll
    from bot.telegram.webhook import add_webhook_routes

    services, bot, dp, pacer, kick = compose_run(settings)
    await services.load_faq_additions()
    health = services.health()
    alert = guard.admin_alert(bot, settings.admin_chat_id or services.dispatch.admin_chat_id, "助手")
    if not await guard.check_at_start(health, alert):
        await bot.session.close()
        await services.db_engine.dispose()
        return guard.EXIT_BROKEN_DB
    metrics = Metrics()
    dp.update.outer_middleware(UpdateMetrics(metrics))  # after i12's ChatOrder and UpdateDedup
    owner = services.runner.owner
    inbox = InboxProcessor(dp, bot, services.sessionmaker, owner, writer=services.runner.writer)
    # The FAQ index is built once the updates waiting at start-up are answered; a text waits for it.
    services.runner.faq_loader = faq = FaqLoader(services.faq)
    faq_loading = asyncio.create_task(
        after_start_up(lambda: inbox.handled == 0 or inbox.in_flight() > 0, faq, services.calendar)
    )
    notifier = Notifier(bot, services.sessionmaker, pacer, owner=owner)
    stop_taking, stop_rest = asyncio.Event(), asyncio.Event()
    on_signals(asyncio.get_running_loop(), stop_taking)
    broken: list[str] = []

    async def on_broken(reason: str) -> None:
        if broken:  # the watch and the poller may both find it
            return
        broken.append(reason)
        stop_taking.set()
        await alert(reason)

    async def unstored(updates: list) -> bool:
        """A fetched batch the inbox could not take. The database passes the health check: a passing
        failure, stored again (False). It does not: each update goes through the dispatcher as it is,
        whose error handler tells the sender truthfully that it was not kept (#12), and the batch is
        confirmed (True); a lasting failure (deleted, replaced, read-only, unreachable) also stops the
        bot, a passing one (a full disk, `transient` from #12's health check) lets it serve on."""
        result = await health.check()
        if result.ok:
            return False
        lasting = not result.transient
        log.log(
            logging.CRITICAL if lasting else logging.ERROR,
            "database unusable, fetched updates cannot be stored: %s%s",
            result.reason,
            "; stopping" if lasting else "; they are answered as not kept",
        )
        for update in updates:
            await dp.feed_update(bot, update)
        if lasting:
            await on_broken(result.reason)
        return True

    async def not_ready() -> list[str]:
        ok, reason = health.readiness()
        return (["shutting down"] if stop_taking.is_set() else []) + ([] if ok else [reason])

    runners: list[web.AppRunner] = []
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    port = settings.web_port or (DEFAULT_PORT if settings.webhook_url else None)
    if port:  # one listener: the workbench (bot.web) with the webhook and the operator routes added
        from bot.web.app import make_app as workbench_app
        from bot.web.serve import desk_of

        app = workbench_app(desk_of(services), services.dispatch.webhook_secrets())
        add_health_routes(app, services.db_engine, settings.db_url, not_ready)
        add_metrics_routes(app, metrics, services.sessionmaker)
        if settings.webhook_url:
            add_webhook_routes(
                app,
                urlsplit(settings.webhook_url).path or "/",
                secret,
                inbox,
                accepting=lambda: not stop_taking.is_set(),
            )
        runners.append(await start_listener(app, settings.web_host, port))
    if settings.callback_port:
        from office.http import make_app

        runners.append(
            await start_listener(
                make_app(services.sessionmaker, services.dispatch.webhook_secrets(), limits=services.limits),
                settings.callback_host,
                settings.callback_port,
            )
        )
    tasks = [
        asyncio.create_task(notifier.run(stop_rest, kick=kick)),
        asyncio.create_task(guard.watch(health, on_broken, stop_rest, on_degraded=partial(alert, stopping=False))),
    ]
    if settings.embedded_worker:
        tasks.append(asyncio.create_task(services.worker().run_forever(stop_rest, periodic=services.housekeeping)))
    handling = asyncio.create_task(inbox.run(stop_taking))
    try:
        build_first()  # the Telegram types every update and reply goes through, each built once
        await set_commands(bot)
        allowed = dp.resolve_used_update_types()
        if settings.webhook_url:
            await bot.set_webhook(
                settings.webhook_url, secret_token=secret, allowed_updates=allowed, drop_pending_updates=False
            )
            log.info("webhook registered; taking updates")
            await stop_taking.wait()
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            log.info("long polling; taking updates")
            await poll(bot, inbox, stop_taking, allowed, unstored=unstored)
    finally:
        stop_taking.set()
        log.info("stopping: no new updates; finishing those in hand (at most %.0fs)", DRAIN)
        cut = await inbox.drain(DRAIN)
        await handling
        stop_rest.set()
        faq_loading.cancel()  # not begun: not needed now (a build under way finishes in its thread)
        await asyncio.gather(*tasks, faq_loading, return_exceptions=True)
        if not broken:
            try:  # the replies of the updates just finished, and anything else due now
                await asyncio.wait_for(notifier.drain(), timeout=5)
            except Exception:  # noqa: BLE001 - what is left is sent by the next process
                log.warning("could not flush the notifications at shutdown")
        for r in runners:
            await r.cleanup()
        await bot.session.close()
        services.intake.close()
        await services.limits.close()
        if services.runner.writer is not None:  # the batch in flight commits before the engine goes
            await services.runner.writer.close()
        await services.db_engine.dispose()
        log.info("stopped (%d chats cut short, their updates wait in the inbox)", cut)
    return guard.EXIT_BROKEN_DB if broken else 0


async def worker_listener(settings: Settings, services, health) -> web.AppRunner | None:
    """`python -m bot worker` with WEB_PORT: /metrics, /healthz and /readyz of the worker."""
    if not settings.web_port:
        return None
    from bot.health import add_health_routes
    from bot.metrics import Metrics, add_metrics_routes

    async def not_ready() -> list[str]:
        ok, reason = health.readiness()
        return [] if ok else [reason]

    app = web.Application()
    add_health_routes(app, services.db_engine, settings.db_url, not_ready)
    add_metrics_routes(app, Metrics(), services.sessionmaker)
    return await start_listener(app, settings.web_host, settings.web_port)
