"""Webhook intake: POST <path> from Telegram, answered 200 only once the update is stored in the inbox.

aiogram's SimpleRequestHandler (aiogram.webhook.aiohttp_server) answers before handling by default
(`handle_in_background=True`), and otherwise hands the update to the background after 55 s: in both
cases a crash after the 200 loses the update. This handler stores first, then answers.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable

from aiohttp import web

from bot.telegram.inbox import InboxProcessor

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def add_webhook_routes(
    app: web.Application, path: str, secret: str, inbox: InboxProcessor, accepting: Callable[[], bool] = lambda: True
) -> None:
    """`accepting()` false (shutting down): 503, so Telegram re-delivers to whichever process is up."""
    if not secret:
        raise ValueError("WEBHOOK_SECRET is required in webhook mode")

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook request without the right secret token refused")
            return web.Response(status=401, text="Unauthorized")
        if not accepting():
            return web.Response(status=503, text="shutting down")
        try:
            update = json.loads(await request.read())
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                raise ValueError("not an update")
        except ValueError:
            return web.Response(status=400, text="Bad Request")
        try:
            await inbox.store([update])
        except Exception:
            log.exception("webhook: update %s could not be stored", update["update_id"])
            return web.Response(status=500, text="not stored")
        return web.json_response({})

    app.router.add_post(path, receive)
