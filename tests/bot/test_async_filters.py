"""Every filter and handler that `run` registers is async: aiogram sends any other callable (a bare
magic `F…` filter, a lambda, a plain function) through asyncio.to_thread, one thread hop per check."""

from __future__ import annotations

from aiogram import Dispatcher, F, Router

from bot.serve import compose_run
from bot.settings import Settings
from bot.telegram.filters import When


def sync_callables(router: Router) -> list[str]:
    """Names of the non-awaitable filters and handlers registered on `router` and its sub-routers."""
    found = []
    for r in router.chain_tail:
        for name, observer in r.observers.items():
            for f in observer._handler.filters or []:  # router-level filters: `router.message.filter(...)`
                if not f.awaitable:
                    found.append(f"{r.name}.{name} router filter {f.callback!r}")
            for handler in observer.handlers:
                if not handler.awaitable:
                    found.append(f"{r.name}.{name} handler {handler.callback!r}")
                for f in handler.filters or []:
                    if not f.awaitable:
                        found.append(f"{r.name}.{name} filter {f.callback!r} on {handler.callback.__name__}")
    return found


def run_dispatcher(tmp_path) -> Dispatcher:
    settings = Settings(
        _env_file=None,
        bot_token="42:TEST",
        data_dir=tmp_path,
        helpdesk_chat_id=-100123,
        window_chat_id=-100456,
        embedded_worker=True,
    )
    services, bot, dp, *_ = compose_run(settings)
    services.intake.close()
    return dp


def test_every_router_of_run_registers_only_async_filters_and_handlers(tmp_path):
    dp = run_dispatcher(tmp_path)
    names = {r.name for r in dp.chain_tail}
    assert {"applicant", "staff", "helpdesk"} <= names  # the walk reaches every router `run` mounts
    assert sync_callables(dp) == []


def test_the_check_finds_a_bare_magic_filter_and_a_lambda():
    router = Router(name="probe")

    @router.message(F.text)
    async def on_text(message) -> None: ...

    @router.callback_query(lambda cb: True)
    async def on_cb(cb) -> None: ...

    router.message.filter(F.chat.type == "private")
    found = sync_callables(router)
    assert len(found) == 3, found


async def test_when_passes_what_the_magic_filter_passes():
    class Chat:
        type = "private"

    class Message:
        chat = Chat()
        text = "你好"
        sender_chat = None

    assert await When(F.chat.type == "private")(Message()) is True
    assert await When(F.text)(Message()) == "你好"
    assert not await When(F.chat.type == "group")(Message())
    assert not await When((F.chat.type == "private") & F.sender_chat)(Message())
