"""Command line: `python -m bot run | console | worker | web | ask | packets | staff | tickets | keys | db ...`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from functools import partial
from pathlib import Path

from bot import gc_pause

if __name__ == "__main__":  # the program, not an import (tests): `run` settles once serving, the rest at once
    gc_pause.pause()

from bot.logs import setup_logging
from bot.settings import Settings
from dialogs.departments import KEYS

log = logging.getLogger("bot")
DEPTS = list(KEYS)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="河北省灵活就业“一件事一次办”服务助手")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("run", help="Telegram bot (polling, or webhook with WEBHOOK_URL); without BOT_TOKEN the console")
    sub.add_parser("console", help="the conversation in this terminal").add_argument("--user", default="local")
    sub.add_parser("worker", help="the department-dispatch worker as its own process")
    sub.add_parser("web", help="the window's workbench and the department callbacks on WEB_HOST:WEB_PORT")
    sub.add_parser("ask", help="answer a question from the notice, or say it goes to staff").add_argument("question")
    fq = sub.add_parser("faq", help="help-desk knowledge base").add_subparsers(dest="action", required=True)
    fq.add_parser("report", help="recent hand-offs grouped by likely entry").add_argument(
        "--days", type=int, default=30
    )
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", default=None)

    pk = sub.add_parser("packets", help="applications and department packets").add_subparsers(
        dest="action", required=True
    )
    pk.add_parser("list").add_argument("--queue", default="window", choices=["window", *DEPTS])
    pk.add_parser("show").add_argument("ref")
    fd = pk.add_parser("find", help="the window's look-up by ID number (blind index)")
    fd.add_argument("id_number")
    fd.add_argument("--as", dest="as_id", type=int, required=True)
    ex = pk.add_parser("export")
    ex.add_argument("ref")
    ex.add_argument("--out", type=Path, required=True)
    for name in ("accept", "return", "refuse"):
        w = pk.add_parser(name)
        w.add_argument("ref")
        w.add_argument("--as", dest="as_id", type=int, help="the staff member's Telegram id")
        if name != "accept":
            w.add_argument("--reason", required=True)
        if name == "return":
            w.add_argument("--fields", default="")
            w.add_argument("--materials", default="")
    wd = pk.add_parser("withdraw", help="withdraw an application at the applicant's request")
    wd.add_argument("ref")
    wd.add_argument("--as", dest="as_id", type=int, required=True, help="the window staff member's Telegram id")
    wd.add_argument("--reason", required=True)
    d = pk.add_parser("decide")
    d.add_argument("ref")
    d.add_argument("--dept", required=True, choices=DEPTS)
    d.add_argument("--as", dest="as_id", type=int, required=True, help="the clerk's Telegram id")
    act = d.add_mutually_exclusive_group(required=True)
    act.add_argument("--claim", action="store_true")
    act.add_argument("--done", nargs="?", const="", metavar="NOTE")
    act.add_argument("--correct", metavar="REASON")
    act.add_argument("--reject", metavar="REASON")
    d.add_argument("--fields", default="")
    d.add_argument("--materials", default="")

    st = sub.add_parser("staff", help="staff accounts and roles").add_subparsers(dest="action", required=True)
    add = st.add_parser("add")
    add.add_argument("telegram_id", type=int)
    add.add_argument("name")
    add.add_argument("role", choices=["admin", "window", "clerk", "helpdesk"])
    add.add_argument("--dept", choices=DEPTS)
    st.add_parser("remove").add_argument("telegram_id", type=int)
    st.add_parser("list")
    st.add_parser("passwd", help="set a workbench password, read as one line from stdin").add_argument(
        "telegram_id", type=int
    )

    tk = sub.add_parser("tickets", help="help-desk tickets").add_subparsers(dest="action", required=True)
    tk.add_parser("list")
    for name in ("answer", "close"):
        t = tk.add_parser(name)
        t.add_argument("ticket_id", type=int)
        t.add_argument("--as", dest="as_id", type=int, required=True)
        if name == "answer":
            t.add_argument("text")
    keys = sub.add_parser("keys", help="encryption keys: status, rotate (re-encrypt), retire")
    keys.add_argument("action", choices=["status", "rotate", "retire"])
    keys.add_argument("key_id", nargs="?", help="retire: the key id to remove once nothing uses it")
    keys.add_argument("--new-key", action="store_true", help="rotate: first add a new current key")
    keys.add_argument("--batch", type=int, default=500)
    return p


def split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


async def _command(settings: Settings, args) -> str:
    from bot import cli, compose

    services = compose.build(settings)
    try:
        if args.cmd == "ask":
            await services.load_faq_additions()
            return await cli.ask(services, args.question)
        if args.cmd == "staff" and args.action == "passwd":
            from bot.web.serve import passwd

            return await passwd(services, args.telegram_id, sys.stdin.readline())
        if args.cmd == "faq":
            from bot.faq_learning import faq_report

            await services.load_faq_additions()
            return await faq_report(services, args.days)
        if args.cmd == "staff":
            return await cli.staff_command(
                services,
                args.action,
                getattr(args, "telegram_id", None),
                getattr(args, "name", ""),
                getattr(args, "role", ""),
                getattr(args, "dept", None),
            )
        if args.cmd == "tickets":
            return await cli.tickets_command(
                services,
                args.action,
                getattr(args, "ticket_id", None),
                getattr(args, "as_id", None),
                getattr(args, "text", ""),
            )
        a = args.action
        if a == "list":
            return await cli.packets_list(services, args.queue)
        if a == "find":
            return await cli.packets_find(services, args.id_number, args.as_id)
        if a == "show":
            return await cli.packets_show(services, args.ref)
        if a == "export":
            return await cli.packets_export(services, args.ref, args.out)
        if a == "withdraw":
            return await cli.withdraw(services, args.ref, args.as_id, args.reason)
        if a in ("accept", "return", "refuse"):
            return await cli.window_action(
                services,
                a,
                args.ref,
                args.as_id,
                getattr(args, "reason", ""),
                split(getattr(args, "fields", "")),
                split(getattr(args, "materials", "")),
            )
        action = "claim" if args.claim else "done" if args.done is not None else "correct" if args.correct else "reject"
        return await cli.decide(
            services,
            args.ref,
            args.dept,
            args.as_id,
            action,
            note=args.done or "",
            reason=args.correct or args.reject or "",
            fields=split(args.fields),
            materials=split(args.materials),
        )
    finally:
        await services.db_engine.dispose()


async def _console(settings: Settings, user: str) -> None:
    from bot import compose
    from bot.console import run_console

    services = compose.build(settings)
    stop = asyncio.Event()
    worker = None
    if settings.embedded_worker:
        worker = asyncio.create_task(services.worker().run_forever(stop, periodic=services.housekeeping))
    try:
        await services.load_faq_additions()
        await run_console(services.runner, user=user, log_path=settings.data_dir / "console.log")
    finally:
        stop.set()
        if worker:
            await worker
        services.intake.close()
        await services.db_engine.dispose()


async def _worker(settings: Settings) -> int:
    from bot import compose, guard

    services = compose.build(settings)
    bot = None
    if settings.bot_token is not None:  # to alert the admins; the worker sends nothing else itself
        from bot.telegram.app import make_bot

        bot = make_bot(settings.bot_token.get_secret_value(), settings.telegram_api_base)
    alert = guard.admin_alert(bot, settings.admin_chat_id or services.dispatch.admin_chat_id, "派送进程")
    health = services.health()
    stop = asyncio.Event()
    broken: list[str] = []
    listener = None
    try:
        if not await guard.check_at_start(health, alert):
            return guard.EXIT_BROKEN_DB
        loop = asyncio.get_running_loop()
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        async def on_broken(reason: str) -> None:
            broken.append(reason)
            await alert(reason)
            stop.set()

        watcher = asyncio.create_task(guard.watch(health, on_broken, stop, on_degraded=partial(alert, stopping=False)))
        from bot.serve import worker_listener

        listener = await worker_listener(settings, services, health)
        log.info("dispatch worker started")
        await services.worker().run_forever(stop, periodic=services.housekeeping)
        await watcher
    finally:
        if listener is not None:
            await listener.cleanup()
        if bot is not None:
            await bot.session.close()
        await services.db_engine.dispose()
    return guard.EXIT_BROKEN_DB if broken else 0


async def _web(settings: Settings) -> None:
    from bot import compose
    from bot.web.serve import serve

    services = compose.build(settings)
    try:
        await serve(services)
    finally:
        await services.db_engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from dialogs.options import OptionsError

    args = parser().parse_args(argv)
    settings = Settings()
    setup_logging(settings.log_level)
    try:
        return _main(args, settings)
    except OptionsError as e:
        print(f"配置错误：{e}", file=sys.stderr)
        return 2


def _main(args, settings: Settings) -> int:
    if args.cmd != "run" or settings.bot_token is None:
        gc_pause.settle()  # only `run` with a token has a first reply to hurry to
    if args.cmd == "db":
        from storage import migrate

        if args.action == "upgrade":
            migrate.upgrade(settings.db_url, args.revision or "head")
        elif args.action == "downgrade":
            migrate.downgrade(settings.db_url, args.revision or "-1")
        else:
            from alembic import command

            command.current(migrate.alembic_config(settings.db_url))
        return 0
    if args.cmd == "keys":
        from bot import keys

        print(asyncio.run(keys.command(settings, args.action, args.batch, args.new_key, args.key_id)))
        return 0
    if args.cmd == "console" or (args.cmd == "run" and settings.bot_token is None):
        if args.cmd == "run":
            print(
                "未设置 BOT_TOKEN：在终端中运行同一对话（No BOT_TOKEN: running the conversation in this terminal).",
                flush=True,
            )
        asyncio.run(_console(settings, getattr(args, "user", "local")))
        return 0
    if args.cmd == "run":
        from bot.serve import run_bot

        return asyncio.run(run_bot(settings))
    elif args.cmd == "worker":
        return asyncio.run(_worker(settings))
    elif args.cmd == "web":
        asyncio.run(_web(settings))
    else:
        from bot.cli import Refused

        try:
            print(asyncio.run(_command(settings, args)))
        except Refused as e:
            print(e, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
