"""A fake Telegram Bot API server on 127.0.0.1 (aiohttp.web) for end-to-end tests and benchmarks.

Speaks the subset of the Bot API the assistant uses, with true long polling, and records every
call the bot makes. The driver side (`push_*`, `wait_for_reply`, `last_buttons`) plays the user.
Imports no aiogram, so a driver process stays light.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DEFAULT_TOKEN = "123456:AAFakeTokenForEndToEndTests_0123456789"
CHAT_METHODS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument", "sendPhoto"}
# Sent as plain strings by aiogram; every other form field is JSON (numbers, booleans, objects).
STRING_PARAMS = {
    "text",
    "caption",
    "callback_query_id",
    "file_id",
    "url",
    "parse_mode",
    "inline_message_id",
    "description",
    "short_description",
    "name",
    "language_code",
}


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class Call:
    """One request the bot made: method, decoded params, the result returned, monotonic time."""

    method: str
    params: dict[str, Any]
    result: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        chat = self.params.get("chat_id")
        return int(chat) if isinstance(chat, (int, str)) and str(chat).lstrip("-").isdigit() else None

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def buttons(self) -> list[str]:
        """Callback data of the inline keyboard sent with this call, row by row, flattened."""
        markup = self.params.get("reply_markup") or {}
        return [b["callback_data"] for row in markup.get("inline_keyboard", ()) for b in row if "callback_data" in b]

    @property
    def protected(self) -> bool:
        """Sent with protect_content (no forwarding or saving)."""
        return bool(self.params.get("protect_content"))

    @property
    def labels(self) -> dict[str, str]:
        markup = self.params.get("reply_markup") or {}
        return {b["text"]: b.get("callback_data", "") for row in markup.get("inline_keyboard", ()) for b in row}


@dataclass
class FileRecord:
    file_id: str
    unique_id: str
    data: bytes
    path: str
    name: str | None = None
    mime: str | None = None


class FakeBotAPI:
    """`async with FakeBotAPI() as api:` serves on `api.base_url` (give it to TELEGRAM_API_BASE)."""

    def __init__(
        self, token: str | None = None, username: str = "fake_assistant_bot", host: str = "127.0.0.1", port: int = 0
    ):
        self.token, self.username, self.host, self.port = token, username, host, port
        self.calls: list[Call] = []
        self.uploads: list[Call] = []
        self.files: dict[str, FileRecord] = {}
        self._pending: list[dict] = []
        self._update_ids = itertools.count(100_000)
        self._message_ids: dict[int, itertools.count] = {}
        self._bot_messages: dict[tuple[int, int], dict] = {}
        self._read: dict[int, int] = {}
        self._open_callbacks: set[str] = set()
        self.last_query_id: str | None = None
        self._failures: dict[str, list[ApiError | web.Response | float]] = {}
        self._flaky: dict[str, tuple[Callable[[], bool], Callable[[], ApiError]]] = {}
        self._chat_log: dict[int, list[Call]] = {}
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.webhook: dict | None = None
        self.webhook_targets: list[str] = []
        self.webhook_duplicates, self.webhook_shuffle = 0.0, False
        self.webhook_answers: list[tuple[int, str, int]] = []  # (update_id, target, HTTP status or 0)
        self._pusher: asyncio.Future | None = None
        self._random = random.Random(16)

    # ---- lifecycle -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # Cancel a long poll whose client vanished (kill -9), as Telegram forgets it too.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        self._closing = True
        self._notify()
        if self._pusher is not None:
            self._pusher.cancel()
            await asyncio.gather(self._pusher, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ---- the user's side -----------------------------------------------------------------
    def push_update(self, update: dict) -> int:
        update = {"update_id": next(self._update_ids), **update}
        self._pending.append(update)
        self._notify()
        return update["update_id"]

    def push_text(self, user_id: int, text: str, chat_id: int | None = None, reply_to: int | None = None) -> int:
        """`user_id` writes `text` in `chat_id` (default: the private chat; negative: a supergroup),
        optionally as a reply to the message `reply_to` of that chat."""
        message = self._user_message(
            user_id, chat_id=chat_id, text=text, reply_to_message=self._replied(chat_id or user_id, reply_to)
        )
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self.push_update({"message": message})

    def push_command(self, user_id: int, command: str, args: str = "") -> int:
        return self.push_text(user_id, f"/{command.lstrip('/')}" + (f" {args}" if args else ""))

    def push_callback(self, user_id: int, data: str, message_id: int | None = None, chat_id: int | None = None) -> int:
        """`user_id` presses a button of `message_id` (default: the chat's last keyboard) in
        `chat_id` (default: the private chat). The query's id is left in `last_query_id`."""
        chat = user_id if chat_id is None else chat_id
        if message_id is None:
            message_id = self.last_keyboard_message_id(chat)
        message = self._bot_messages.get((chat, message_id or 0)) or {
            "chat": self._chat(chat),
            "message_id": message_id or 0,
            "date": 0,
        }  # InaccessibleMessage
        query_id = self.last_query_id = str(next(self._update_ids) * 7919)
        self._open_callbacks.add(query_id)
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id),
                    "chat_instance": str(-chat * 31),
                    "data": data,
                    "message": message,
                }
            }
        )

    def push_photo(
        self, user_id: int, data: bytes, caption: str | None = None, media_group_id: str | None = None
    ) -> int:
        rec = self.register_file(data, name=None, mime="image/jpeg", folder="photos")
        sizes = [
            {
                "file_id": rec.file_id,
                "file_unique_id": rec.unique_id,
                "width": 1280,
                "height": 960,
                "file_size": len(data),
            }
        ]
        message = self._user_message(user_id, photo=sizes, caption=caption, media_group_id=media_group_id)
        return self.push_update({"message": message})

    def push_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        mime: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        rec = self.register_file(data, name=filename, mime=mime, folder="documents")
        return self.push_update({"message": self._user_message(user_id, document=self._document(rec), caption=caption)})

    def register_file(
        self, data: bytes, name: str | None = None, mime: str | None = None, folder: str = "documents"
    ) -> FileRecord:
        digest = hashlib.sha256(data).hexdigest()
        n = len(self.files)
        suffix = (name or "").rpartition(".")[2] if name and "." in name else "jpg"
        rec = FileRecord(
            file_id=f"F{n}_{digest[:24]}",
            unique_id=f"U{digest[:14]}",
            data=data,
            path=f"{folder}/file_{n}.{suffix}",
            name=name,
            mime=mime,
        )
        self.files[rec.file_id] = rec
        return rec

    # ---- what the bot did ----------------------------------------------------------------
    def mark(self) -> int:
        """A position in `calls`; pass it as `after=` to wait only for later calls."""
        return len(self.calls)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, user_id: int) -> list[Call]:
        """Everything shown in the chat with this user: messages, edits, documents."""
        return self._chat_log.get(user_id, [])

    def last_buttons(self, user_id: int) -> list[str]:
        for call in reversed(self.messages(user_id)):
            if (call.params.get("reply_markup") or {}).get("inline_keyboard"):
                return call.buttons
        return []

    def last_keyboard_message_id(self, user_id: int) -> int | None:
        for call in reversed(self.messages(user_id)):
            if (call.params.get("reply_markup") or {}).get("inline_keyboard") and isinstance(call.result, dict):
                return call.result["message_id"]
        return None

    def unanswered_callbacks(self) -> set[str]:
        return set(self._open_callbacks)

    def callback_answers(self, query_id: str) -> list[Call]:
        return [
            c for c in self.calls if c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
        ]

    async def wait_callback_answer(self, query_id: str | None = None, timeout: float = 10) -> Call:
        """The bot's first answerCallbackQuery to `query_id` (default: the last pushed query)."""
        query_id = query_id or self.last_query_id
        await self._wait(lambda: bool(self.callback_answers(query_id)), timeout)
        return self.callback_answers(query_id)[0]

    def fail_next(
        self,
        method: str,
        code: int = 429,
        description: str = "Too Many Requests: retry after 1",
        retry_after: int | None = 1,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail as Telegram would (429 by default)."""
        self._failures.setdefault(method, []).extend(ApiError(code, description, retry_after) for _ in range(times))

    def flaky(self, method: str, rate: float, *errors: ApiError, seed: int = 1) -> None:
        """From now on `method` fails in a fraction `rate` of calls with one of `errors` (default: 500;
        "download": the file download itself); `rate=0` stops it."""
        import random

        rng = random.Random(seed)
        choices = list(errors) or [ApiError(500, "Internal Server Error")]
        self._flaky[method] = (lambda: rng.random() < rate, lambda: rng.choice(choices))

    def garble_next(
        self, method: str, body: str, status: int = 200, content_type: str = "text/html", times: int = 1
    ) -> None:
        """The next `times` calls of `method` get this raw body (bad JSON, an HTML error page...)."""
        self._failures.setdefault(method, []).extend(
            web.Response(text=body, status=status, content_type=content_type) for _ in range(times)
        )

    def stall_next(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` are held `seconds` before they are answered."""
        self._failures.setdefault(method, []).extend(float(seconds) for _ in range(times))

    async def wait_for_reply(
        self, user_id: int, predicate: Callable[[Call], bool] | None = None, timeout: float = 10, settle: float = 0.15
    ) -> list[Call]:
        """The chat's unread bot messages: up to the first matching `predicate`, or, without one,
        all that arrive until none came for `settle` seconds. Marks them read."""

        def unread() -> list[Call]:
            return self.messages(user_id)[self._read.get(user_id, 0) :]

        def matched() -> int | None:
            for i, call in enumerate(unread()):
                if predicate is None or predicate(call):
                    return i
            return None

        try:
            await self._wait(lambda: matched() is not None, timeout)
        except TimeoutError:
            seen = [c.text[:60] for c in unread()]
            raise TimeoutError(f"no reply to {user_id} within {timeout}s; unread: {seen}") from None
        if predicate is None:
            while True:
                count = len(unread())
                try:
                    await self._wait(lambda count=count: len(unread()) > count, settle)
                except TimeoutError:
                    break
            got = unread()
        else:
            got = unread()[: matched() + 1]
        self._read[user_id] = self._read.get(user_id, 0) + len(got)
        return got

    async def wait_for_text(self, user_id: int, needle: str, timeout: float = 10) -> list[Call]:
        return await self.wait_for_reply(user_id, lambda c: needle in c.text, timeout)

    async def wait_call(self, method: str, after: int = 0, timeout: float = 10) -> Call:
        def found() -> Call | None:
            return next((c for c in self.calls[after:] if c.method == method), None)

        await self._wait(lambda: found() is not None, timeout)
        return found()

    async def wait_confirmed(self, timeout: float = 10) -> None:
        """Until the bot confirmed (getUpdates offset past) every update pushed so far."""
        await self._wait(lambda: not self._pending, timeout)

    # ---- HTTP ------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if (self.token is not None and token != self.token) or ":" not in token:
            return _error(ApiError(401, "Unauthorized"))
        try:
            params, attachments = await _params(request)
            call = Call(method, params)
            self.calls.append(call)  # before the handler: a waiting getUpdates shows the bot is polling
            self._notify()
            flaky = self._flaky.get(method)
            if flaky is not None and flaky[0]():
                raise flaky[1]()
            if self._failures.get(method):
                failure = self._failures[method].pop(0)
                if isinstance(failure, web.Response):
                    return failure
                if isinstance(failure, float):
                    await asyncio.sleep(failure)
                else:
                    raise failure
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            call.result = await handler(token, params, attachments)
        except ApiError as e:
            return _error(e)
        if method in CHAT_METHODS:
            self._chat_log.setdefault(int(call.params["chat_id"]), []).append(call)
        self._notify()
        return web.json_response({"ok": True, "result": call.result})

    async def _download(self, request: web.Request) -> web.Response:
        flaky = self._flaky.get("download")
        if flaky is not None and flaky[0]():
            return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        path = request.match_info["path"]
        rec = next((f for f in self.files.values() if f.path == path), None)
        if rec is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=rec.data, content_type=rec.mime or "application/octet-stream")

    # ---- methods ---------------------------------------------------------------------------
    async def _m_getMe(self, token, p, files):
        return {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Fake Assistant",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getUpdates(self, token, p, files):
        offset, limit, timeout = p.get("offset"), int(p.get("limit") or 100), float(p.get("timeout") or 0)
        if offset:
            offset = int(offset)
            if offset < 0:
                self._pending = self._pending[offset:]
            else:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            self._notify()
        with contextlib.suppress(TimeoutError):
            await self._wait(lambda: bool(self._pending) or self._closing, timeout)
        return [json.loads(json.dumps(u)) for u in self._pending[: max(1, min(limit, 100))]]

    async def _m_deleteWebhook(self, token, p, files):
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = None
        return True

    async def _m_setWebhook(self, token, p, files):
        self.webhook = {
            "url": p["url"],
            "secret_token": p.get("secret_token"),
            "allowed_updates": p.get("allowed_updates"),
        }
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.ensure_future(self._push_webhook())
        return True

    # ---- webhook delivery ------------------------------------------------------------------------
    def spread_over(self, targets: list[str], duplicates: float = 0.0, shuffle: bool = False, seed: int = 16) -> None:
        """Deliver webhook updates to these listener URLs instead of the registered one (the reverse proxy
        in front of several bot processes), round robin; `duplicates`: the share re-delivered to another
        target after its 200; `shuffle`: each batch of waiting updates is sent in a random order."""
        self.webhook_targets, self.webhook_duplicates, self.webhook_shuffle = list(targets), duplicates, shuffle
        self._random = random.Random(seed)

    async def _push_webhook(self) -> None:
        """Telegram's side of a webhook: POST each waiting update (at most 40 at a time) with the secret
        token until a 2xx answer; anything else (or no answer) is retried after a moment."""
        import aiohttp

        in_flight: set[int] = set()
        turn = itertools.count()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:

            async def post(update: dict) -> None:
                try:
                    if (
                        await post_once(update)
                        and self.webhook_duplicates
                        and self._random.random() < self.webhook_duplicates
                    ):
                        await post_once(update)  # re-delivered, as after a lost answer
                finally:
                    in_flight.discard(update["update_id"])
                    self._notify()

            async def post_once(update: dict) -> bool:
                hook = self.webhook or {}
                targets = self.webhook_targets or [hook.get("url")]
                url = targets[next(turn) % len(targets)]
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook.get("secret_token") or ""}
                ok = False
                try:
                    async with http.post(url, json=update, headers=headers) as r:
                        ok = 200 <= r.status < 300
                        self.webhook_answers.append((update["update_id"], url, r.status))
                except (TimeoutError, aiohttp.ClientError, OSError):
                    self.webhook_answers.append((update["update_id"], url, 0))
                if ok:
                    self._pending = [u for u in self._pending if u["update_id"] != update["update_id"]]
                else:
                    await asyncio.sleep(0.3)
                return ok

            while not self._closing and self.webhook is not None:
                waiting = [u for u in self._pending if u["update_id"] not in in_flight][: 40 - len(in_flight)]
                if self.webhook_shuffle:
                    self._random.shuffle(waiting)
                for update in waiting:
                    in_flight.add(update["update_id"])
                    asyncio.ensure_future(post(update))
                await asyncio.sleep(0.01)
                with contextlib.suppress(TimeoutError):
                    await self._wait(
                        lambda: (
                            (len(in_flight) < 40 and any(u["update_id"] not in in_flight for u in self._pending))
                            or self._closing
                            or self.webhook is None
                        ),
                        0.5,
                    )

    async def _m_setMyCommands(self, token, p, files):
        return True

    async def _m_getMyCommands(self, token, p, files):
        latest = next((c for c in reversed(self.calls) if c.method == "setMyCommands"), None)
        return latest.params.get("commands", []) if latest else []

    async def _m_answerCallbackQuery(self, token, p, files):
        query_id = p.get("callback_query_id")
        if query_id not in self._open_callbacks:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._open_callbacks.discard(query_id)
        return True

    async def _m_sendChatAction(self, token, p, files):
        return True

    async def _m_deleteMessage(self, token, p, files):
        return self._bot_messages.pop((int(p["chat_id"]), int(p["message_id"])), None) is not None

    async def _m_sendMessage(self, token, p, files):
        text = p.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._bot_message(token, p, text=text)

    async def _m_editMessageText(self, token, p, files):
        key = (int(p["chat_id"]), int(p["message_id"]))
        message = self._bot_messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = _inline(p.get("reply_markup"))
        if message.get("text") == p.get("text") and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message = {**message, "text": p.get("text"), "edit_date": int(time.time())}
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        self._bot_messages[key] = message
        return message

    async def _m_editMessageReplyMarkup(self, token, p, files):
        key = (int(p["chat_id"]), int(p["message_id"]))
        message = self._bot_messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        markup = _inline(p.get("reply_markup"))
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message = {**message, "edit_date": int(time.time())}
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        self._bot_messages[key] = message
        return message

    async def _m_sendDocument(self, token, p, files):
        return self._send_file(token, p, files, "document")

    async def _m_sendPhoto(self, token, p, files):
        return self._send_file(token, p, files, "photo")

    async def _m_getFile(self, token, p, files):
        rec = self.files.get(p.get("file_id", ""))
        if rec is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(rec.data) > 20 * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": rec.file_id,
            "file_unique_id": rec.unique_id,
            "file_size": len(rec.data),
            "file_path": rec.path,
        }

    # ---- helpers ---------------------------------------------------------------------------
    def _send_file(self, token, p, files, kind: str) -> dict:
        value = p.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            name, data = files.get(value[len("attach://") :], (None, None))
            if data is None:
                raise ApiError(400, f"Bad Request: file for {kind} not found in the request")
            rec = self.register_file(
                data, name=name, folder=kind + "s", mime="application/pdf" if (name or "").endswith(".pdf") else None
            )
        elif isinstance(value, str) and value in self.files:
            rec = self.files[value]
        else:
            raise ApiError(400, f"Bad Request: wrong {kind} identifier/HTTP URL specified")
        p["_file"] = rec  # the uploaded bytes, name and file_id
        extra = (
            {"document": self._document(rec)}
            if kind == "document"
            else {
                "photo": [
                    {
                        "file_id": rec.file_id,
                        "file_unique_id": rec.unique_id,
                        "width": 1280,
                        "height": 960,
                        "file_size": len(rec.data),
                    }
                ]
            }
        )
        result = self._bot_message(token, p, caption=p.get("caption"), **extra)
        self.uploads.append(Call(f"send{kind.title()}", p, result))
        return result

    def _bot_message(self, token: str, p: dict, **content) -> dict:
        chat_id = int(p["chat_id"])
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": {
                "id": int(token.split(":")[0]),
                "is_bot": True,
                "first_name": "Fake Assistant",
                "username": self.username,
            },
        }
        message.update({k: v for k, v in content.items() if v is not None})
        markup = _inline(p.get("reply_markup"))
        if markup:
            message["reply_markup"] = markup
        self._bot_messages[(chat_id, message["message_id"])] = message
        return message

    def _user_message(self, user_id: int, chat_id: int | None = None, **content) -> dict:
        chat = user_id if chat_id is None else chat_id
        message = {
            "message_id": self._next_message_id(chat),
            "date": int(time.time()),
            "chat": self._chat(chat),
            "from": self._user(user_id),
        }
        message.update({k: v for k, v in content.items() if v is not None})
        return message

    def _replied(self, chat_id: int, message_id: int | None) -> dict | None:
        """The message a reply refers to, as Telegram embeds it (without its own reply)."""
        if message_id is None:
            return None
        message = self._bot_messages.get((chat_id, message_id)) or {
            "message_id": message_id,
            "date": 0,
            "chat": self._chat(chat_id),
        }
        return {k: v for k, v in message.items() if k != "reply_to_message"}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    @staticmethod
    def _user(user_id: int) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}", "language_code": "zh-hans"}

    @staticmethod
    def _chat(chat_id: int) -> dict:
        if chat_id < 0:  # staff group chats (-100...) are supergroups
            return {"id": chat_id, "type": "supergroup", "title": f"工作群{chat_id}"}
        return {"id": chat_id, "type": "private", "first_name": f"用户{chat_id}"}

    @staticmethod
    def _document(rec: FileRecord) -> dict:
        doc = {"file_id": rec.file_id, "file_unique_id": rec.unique_id, "file_size": len(rec.data)}
        if rec.name:
            doc["file_name"] = rec.name
        if rec.mime:
            doc["mime_type"] = rec.mime
        return doc

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, ready: Callable[[], bool], timeout: float) -> None:
        """Until `ready()` holds, re-checked on every change; TimeoutError after `timeout` s."""
        async with asyncio.timeout(timeout):
            while not ready():
                await self._changed.wait()


async def _params(request: web.Request) -> tuple[dict, dict[str, tuple[str | None, bytes]]]:
    """Query string, JSON body or (multipart) form, decoded as Telegram decodes them."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str | None, bytes]] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            return {**raw, **body}, files
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            else:
                raw[key] = value
    params: dict[str, Any] = {}
    for key, value in raw.items():
        params[key] = value
        if key not in STRING_PARAMS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    for value in params.values():
        if isinstance(value, str) and value.startswith("attach://") and value[9:] not in files:
            raise ApiError(400, f"Bad Request: file {value} not found in the request")
    return params, files


def _inline(markup: Any) -> dict | None:
    """Telegram echoes only inline keyboards in Message.reply_markup; checks callback data size."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if len(button.get("callback_data", "").encode()) > 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _error(e: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": e.code, "description": e.description}
    if e.retry_after is not None:
        body["parameters"] = {"retry_after": e.retry_after}
    return web.json_response(body, status=e.code)


async def _serve(port: int) -> None:
    async with FakeBotAPI(port=port) as api:
        print(f"TELEGRAM_API_BASE={api.base_url}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="fake Telegram Bot API server")
    ap.add_argument("--port", type=int, default=8081)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(ap.parse_args().port))
