"""Factories for Telegram updates as a real client would send them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
)

_ids = itertools.count(1)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def user(uid: int = 111, username: str | None = "applicant") -> User:
    return User(id=uid, is_bot=False, first_name="测试", username=username)


def chat(cid: int = 111, kind: str = "private") -> Chat:
    return Chat(id=cid, type=kind)


def message(text: str | None = None, uid: int = 111, cid: int | None = None, **kw) -> Message:
    entities = None
    if text and text.startswith("/"):
        entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
    return Message(
        message_id=next(_ids),
        date=NOW,
        chat=chat(cid or uid, "private" if (cid or uid) > 0 else "supergroup"),
        from_user=user(uid),
        text=text,
        entities=entities,
        **kw,
    )


def text_update(text: str, uid: int = 111, **kw) -> Update:
    return Update(update_id=next(_ids), message=message(text, uid, **kw))


def callback_update(data: str, uid: int = 111, cid: int | None = None) -> Update:
    msg = Message(
        message_id=next(_ids),
        date=NOW,
        chat=chat(cid or uid, "private" if (cid or uid) > 0 else "supergroup"),
        from_user=user(999999, "bot"),
        text="…",
    )
    return Update(
        update_id=next(_ids),
        callback_query=CallbackQuery(
            id=str(next(_ids)), from_user=user(uid), chat_instance="ci", message=msg, data=data
        ),
    )


def photo_update(file_id: str, uid: int = 111, group: str | None = None, size: int = 1000) -> Update:
    photo = [PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600, file_size=size)]
    return Update(update_id=next(_ids), message=message(None, uid, photo=photo, media_group_id=group))


def document_update(file_id: str, name: str, uid: int = 111, size: int = 1000) -> Update:
    doc = Document(file_id=file_id, file_unique_id=file_id, file_name=name, file_size=size)
    return Update(update_id=next(_ids), message=message(None, uid, document=doc))


def sticker_update(uid: int = 111) -> Update:
    st = Sticker(
        file_id="st", file_unique_id="st", type="regular", width=1, height=1, is_animated=False, is_video=False
    )
    return Update(update_id=next(_ids), message=message(None, uid, sticker=st))


def contact_update(phone: str, uid: int = 111, owner: int | None = None) -> Update:
    c = Contact(phone_number=phone, first_name="测试", user_id=owner if owner is not None else uid)
    return Update(update_id=next(_ids), message=message(None, uid, contact=c))
