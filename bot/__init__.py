"""The composition root: wires dialogs, storage, dispatch and office into the bot, worker and web."""

from bot.gc_pause import paused_then_frozen
from bot.lazy_types import defer

# aiogram's import allocates ~150,000 objects, nearly all kept for good (~1,700 garbage, measured):
# collections over them would find next to nothing
with paused_then_frozen():
    defer()  # before anything imports aiogram: its Telegram types are built when first used
