"""Command line: `python -m bot run | console | worker | ask | packets | staff | db ...`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.logs import setup_logging
from bot.settings import Settings

log = logging.getLogger("bot")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="河北省灵活就业“一件事一次办”服务助手")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("run", help="Telegram bot (long polling); without BOT_TOKEN the terminal conversation")
    con = sub.add_parser("console", help="the conversation in this terminal")
    con.add_argument("--user", default="local")
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", default=None)
    return p


async def _console(settings: Settings, user: str) -> None:
    from bot import compose
    from bot.console import run_console

    services = compose.build(settings)
    try:
        await run_console(services.runner, user=user)
    finally:
        await services.db_engine.dispose()


async def _polling(settings: Settings) -> None:
    from bot import compose
    from bot.telegram.app import make_bot, make_dispatcher, set_commands

    services = compose.build(settings)
    bot = make_bot(settings.bot_token.get_secret_value(), settings.telegram_api_base)
    dp = make_dispatcher(services.runner)
    try:
        await set_commands(bot)
        await dp.start_polling(bot, handle_signals=True)
    finally:
        await bot.session.close()
        await services.db_engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    setup_logging(settings.log_level)
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
    if args.cmd == "console" or (args.cmd == "run" and settings.bot_token is None):
        if args.cmd == "run":
            print("未设置 BOT_TOKEN：在终端中运行同一对话（No BOT_TOKEN: running the conversation in this terminal).",
                  flush=True)
        asyncio.run(_console(settings, getattr(args, "user", "local")))
        return 0
    if args.cmd == "run":
        asyncio.run(_polling(settings))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
