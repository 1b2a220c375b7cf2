"""The applicant's conversation through the real aiogram Dispatcher with feed_update."""

from __future__ import annotations

import asyncio

from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import func, select

from storage.models import Application, Draft, Event
from tests import factories as f
from tests.scripts import ADULT_MAN, ELIGIBILITY, FULL, jpeg


async def drive(tg, script, uid=111):
    for kind, value in script:
        if kind == "choose":
            await tg.feed(f.callback_update(value, uid))
        elif kind == "upload":
            for _i, data in enumerate(value):
                fid = f"file{len(tg.session.files)}"
                tg.session.files[fid] = data
                await tg.feed(f.photo_update(fid, uid, size=len(data)))
        else:
            await tg.feed(f.text_update(value, uid))
    assert not any("系统繁忙" in t for t in tg.session.texts(uid)), "a handler failed"


async def test_start_greets_with_menu(tg):
    await tg.feed(f.text_update("/start"))
    assert "灵活就业“一件事一次办”" in tg.session.texts(111)[-1]
    assert tg.session.buttons(111) == ["g|notice", "g|apply", "g|ask"]


async def test_notice_pages_and_acknowledgement(tg, sessionmaker):
    await tg.feed(f.text_update("/guide"))
    await tg.feed(f.callback_update("g|n:time_limit"))
    assert "15个工作日" in tg.session.texts(111)[-1]
    await drive(tg, ELIGIBILITY[:3])
    assert "资格核验 1/4" in tg.session.texts(111)[-1]
    assert any(isinstance(r, AnswerCallbackQuery) for r in tg.session.requests)
    async with sessionmaker() as db:
        kinds = list(await db.scalars(select(Event.kind)))
    assert "notice_acknowledged" in kinds


async def test_eligibility_outcome(tg):
    await drive(tg, ELIGIBILITY)
    assert "资格核验通过" in tg.session.texts(111)[-1]
    assert ADULT_MAN not in "".join(tg.session.texts(111))  # the ID is echoed masked only


async def test_stale_button_reshows_current_step(tg):
    await drive(tg, ELIGIBILITY[:4])
    await tg.feed(f.callback_update("notice_ack|ack"))
    texts = tg.session.texts(111)
    assert "按钮已失效" in texts[-2] and "请输入您的居民身份证号码" in texts[-1]


async def test_sticker_gets_explanation(tg):
    await drive(tg, ELIGIBILITY[:4])
    await tg.feed(f.sticker_update())
    assert "贴纸" in tg.session.texts(111)[-2]


async def test_progress_survives_a_new_dispatcher(tg, runner, clock):
    from aiogram import Bot

    from bot.telegram.app import make_dispatcher
    from tests.bot.recording import RecordingSession

    await drive(tg, ELIGIBILITY[:6])
    session = RecordingSession()
    bot, dp = Bot("42:TEST", session=session), make_dispatcher(runner, clock=clock)
    await dp.feed_update(bot, f.text_update("/apply"))
    assert "资格核验 4/4" in session.texts(111)[-1]


async def test_whole_application_is_submitted_once(tg, sessionmaker):
    await drive(tg, FULL)
    texts = tg.session.texts(111)
    assert "提交成功" in texts[-1] and "受理编号：LJ" in texts[-1]
    # A double tap or a re-delivered update creates nothing more.
    await tg.feed(f.callback_update("commitment|accept"))
    async with sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Application)) == 1
        draft = await db.scalar(select(Draft))
    assert draft.state == "submitted"


async def test_a_confirmation_pressed_again_is_stale_and_the_commitment_still_submits(tg):
    """The kill loop's backlog after restarts (#12): 信息无误 re-sent once the commitment is shown is
    answered 该按钮已失效 with the commitment again, whose 本人承诺并提交 submits: no state the button
    and the draft disagree on."""
    await drive(tg, FULL[:-1])
    for _ in range(2):
        await tg.feed(f.callback_update("review|ok"))
        texts = tg.session.texts(111)
        assert "该按钮已失效" in texts[-2] and "最后一步" in texts[-1]
        assert tg.session.buttons(111) == ["commitment|accept", "commitment|back"]
    await tg.feed(f.callback_update("commitment|accept"))
    assert "提交成功" in tg.session.texts(111)[-1]


async def test_contact_button_fills_phone(tg):
    from tests.scripts import FORM

    await drive(tg, ELIGIBILITY + FORM[:4])
    await tg.feed(f.contact_update("+86 138 1234 5678"))
    assert "户口性质" in tg.session.texts(111)[-1]
    await tg.feed(f.contact_update("+8613900000000", owner=5))
    assert "本人" in tg.session.texts(111)[-1]


async def test_album_is_one_batch(tg):
    from tests.scripts import FORM, MATERIALS

    await drive(tg, ELIGIBILITY + FORM + MATERIALS[:1])
    for i in range(3):
        tg.session.files[f"alb{i}"] = jpeg(["red", "green", "blue"][i])
    await asyncio.gather(*(tg.feed(f.photo_update(f"alb{i}", group="G1")) for i in range(3)))
    assert "已收到3个文件" in tg.session.texts(111)[-1]


async def test_oversized_file_is_refused_before_download(tg):
    from tests.scripts import FORM, MATERIALS

    await drive(tg, ELIGIBILITY + FORM + MATERIALS[:1])
    await tg.feed(f.document_update("big", "scan.pdf", size=25 * 1024 * 1024))
    assert "20MB" in "".join(tg.session.texts(111)[-2:])


async def test_group_chat_messages_are_ignored_by_the_applicant_router(tg):
    await tg.feed(f.text_update("/start", uid=111, cid=-100))
    assert tg.session.texts(-100) == []
