"""The e2e applicant (tests/e2e/driver.py) against a bot whose replies come one input late.

After a restart the kill loop's bot answers a backlog of re-sent inputs: every reply then shows the
question of an input sent earlier. An applicant who took any new question for the answer to its last
input pressed the script's next button while the bot still showed the one before, walked to the end of
its script with its last inputs still queued, and was counted "off the script" (two drafts left at the
commitment, their 本人承诺并提交 still in the inbox). The bot here is the engine behind the fake Bot
API, taking each input only once the next one arrived: no timing decides what it answers. With the
driver before this change the journey ended off the script, the draft at the commitment and 33 presses
of buttons not shown.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from contextlib import suppress

from dialogs.callbacks import StepCb
from dialogs.clock import utcnow
from dialogs.engine import Engine
from dialogs.intake import judge
from dialogs.model import Session, Submit, Upload, UserInput
from tests.e2e.driver import answers, journey
from tests.e2e.fakebot import Call, FakeBotAPI
from tests.scripts import FULL

UID = 7_100_000


class LaggingBot:
    """Each input is handled (by the engine, in arrival order) once the one after it has arrived."""

    def __init__(self, api: FakeBotAPI, uid: int):
        self.api, self.uid, self.engine, self.session = api, uid, Engine(), Session()
        self.message_ids = itertools.count(1)
        self.unshown: list[str] = []  # step buttons pressed that the last question did not show

    async def run(self) -> None:
        pending, shown_at, done = self.api._pending, [], 0
        while True:
            await self.api._wait(lambda: len(pending) > len(shown_at), 3600)
            while len(shown_at) < len(pending):  # just sent: the question the applicant saw meanwhile
                shown_at.append(self.api.last_buttons(self.uid))
            while done + 1 < len(pending):
                self.handle(pending[done], shown_at[done])
                done += 1

    def handle(self, update: dict, shown: list[str]) -> None:
        if "callback_query" in update:
            data = update["callback_query"]["data"]
            if isinstance(StepCb.parse(data), StepCb) and data not in shown:
                self.unshown.append(data)  # a button of a question the bot had not (yet) shown
            inp = UserInput(kind="choose", payload=data, now=self.now, account="telegram:1")
        elif "photo" in update["message"]:
            data = self.api.files[update["message"]["photo"][-1]["file_id"]].data
            inp = UserInput(kind="upload", files=[Upload(checked=judge(data), size=len(data))], now=self.now)
        else:
            inp = UserInput(kind="text", text=update["message"]["text"], now=self.now, account="telegram:1")
        out = self.engine.handle(self.session, inp)
        self.session = out.session
        replies = [
            (r.text, [[{"text": b.label, "callback_data": b.data} for b in row] for row in r.buttons])
            for r in out.replies
        ]
        if any(isinstance(i, Submit) for i in out.intents):
            replies.append(("✅ 提交成功！\n受理编号：LJ000000-00000", []))
        for text, rows in replies:
            params = {"chat_id": self.uid, "text": text}
            if rows:
                params["reply_markup"] = {"inline_keyboard": rows}
            call = Call("sendMessage", params, {"message_id": next(self.message_ids)})
            self.api.calls.append(call)
            self.api._chat_log.setdefault(self.uid, []).append(call)
        self.api._notify()

    @property
    def now(self):
        return utcnow()


def test_each_question_of_the_script_has_one_answer():
    plan = answers(FULL)
    assert len(plan) == len(FULL) + 1  # the questions on the way, and () before the first
    assert plan[()] == FULL[0] and plan[("commitment|accept", "commitment|back")] == FULL[-1]


async def test_an_applicant_answers_the_question_shown_when_replies_come_late():
    api, stats = FakeBotAPI(), Counter()
    bot = LaggingBot(api, UID)
    lagging = asyncio.create_task(bot.run())
    try:
        finished = await journey(api, UID, stats, patience=0.2)
    finally:
        lagging.cancel()
        with suppress(asyncio.CancelledError):
            await lagging
    texts = [(c.text[:20], c.buttons) for c in api.messages(UID)[-4:]]
    assert finished and stats["off_script"] == 0 and stats["gave_up"] == 0, (dict(stats), texts)
    assert bot.unshown == []  # every button pressed was one the bot showed last
    assert bot.session.state == "submitted"
