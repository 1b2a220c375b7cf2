"""The fast path of an answer (#15): the update id is recorded by the answer's own transaction (no
read before it), the replies are sent straight from the rows that transaction wrote (no take-over
query, no re-read, no "sending" mark on the first attempt) and removed once shown. Counted in
statements and COMMITs on the real Dispatcher, not timed."""

from __future__ import annotations

from sqlalchemy import event, func, select

from storage.models import Notification
from tests import factories as f
from tests.bot.test_applicant import drive
from tests.scripts import ELIGIBILITY

UID = 111


def record_statements(sessionmaker) -> tuple[list[str], list[int]]:
    statements: list[str] = []
    commits = [0]
    eng = sessionmaker.kw["bind"].sync_engine

    @event.listens_for(eng, "before_cursor_execute")
    def on_statement(_conn, _cursor, statement, *_a) -> None:
        statements.append(" ".join(statement.split()[:4]).upper())

    @event.listens_for(eng, "commit")
    def on_commit(_conn) -> None:
        commits[0] += 1

    return statements, commits


async def test_an_answer_is_one_transaction_and_its_shown_reply_one_more(tg, sessionmaker):
    await drive(tg, ELIGIBILITY[:3])
    statements, commits = record_statements(sessionmaker)
    await tg.feed(f.callback_update("id_type|resident"))
    assert "请输入您的居民身份证号码" in tg.session.texts(UID)[-1]
    assert commits[0] == 2, statements  # the answer with its reply rows; the removal once shown
    assert not any("HANDLED_UPDATES" in s and s.startswith("SELECT") for s in statements), statements
    assert not any(s.startswith("UPDATE NOTIFICATIONS") for s in statements), statements  # no mark, no claim
    async with sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Notification)) == 0


async def test_a_redelivered_update_the_runner_does_not_record_is_ignored_too(tg):
    """A contact shared from someone else's card is answered outside the runner: its update id is
    looked up before the handler runs, as before."""
    await drive(tg, ELIGIBILITY)
    update = f.contact_update("+8613900000000", owner=5)
    await tg.feed(update)
    await tg.feed(update)
    assert sum("请分享您本人的手机号码" in t for t in tg.session.texts(UID)) == 1
