"""The composition root: wires dialogs, storage, dispatch and office into the bot, worker and web."""

from bot.gc_pause import paused_then_frozen
from bot.lazy_types import defer

with paused_then_frozen():  # aiogram's ~150,000 objects are its classes: no collection need scan them
    defer()  # before anything imports aiogram: its Telegram types are built when first used
