"""Counts each update handled, failed or ignored as a re-delivery by kind and times its handler, for /metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Update

from bot.metrics import Metrics
from bot.telegram.dedup import current_scope


class UpdateMetrics(BaseMiddleware):
    """Outer middleware registered after the others: inside aiogram's error middleware, so it sees the
    handler's exception before the error handler turns it into an apology."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self, handler: Callable[[Update, dict[str, Any]], Awaitable[Any]], event: Update, data: dict[str, Any]
    ) -> Any:
        started, failed = time.perf_counter(), False
        try:
            return await handler(event, data)
        except Exception:
            failed = True
            raise
        finally:
            scope = current_scope()  # set by UpdateDedup, outside this middleware
            duplicate = scope is not None and scope.update_id == event.update_id and scope.duplicate
            self.metrics.observe(event.event_type, time.perf_counter() - started, failed, duplicate)
