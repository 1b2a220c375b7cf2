"""The composition root: wires dialogs, storage, dispatch and office into the bot, worker and web."""

from bot.lazy_types import defer

defer()  # before anything imports aiogram: its Telegram types are built when first used
