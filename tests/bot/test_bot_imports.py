"""The bot process imports what a conversation needs: the PDF stack stays in the intake pool's
processes (upload checks) and in the worker's rendering (packets), imported when first used; numpy
(rank_bm25) comes with the FAQ index, built after start-up; aiogram's Telegram types are built when
first used (bot.lazy_types), and each of them still builds. A start-up runs no Alembic
(storage.migrate.ensure_current: a current database is only read, a fresh one is built from the
models and stamped), imports no database dialect but its own, leaves the `holidays` package to
the first working-day computation (dialogs.workdays) and the FAQ's out-of-scope patterns to the
index's build (dialogs.faq_scope.warm_up)."""

from __future__ import annotations

import json
import subprocess
import sys

PDF_STACK = ("fontTools", "fpdf", "pypdf", "pikepdf", "PIL", "numpy")
LATER = ("alembic", "mako", "pygments", "holidays")  # off the start-up, fresh database or not

PROBE = """
import json, sys
from bot.serve import compose_run
from bot.settings import Settings
settings = Settings(_env_file=None, bot_token="42:TEST", data_dir=sys.argv[1], helpdesk_chat_id=-1001,
                    window_chat_id=-1002, embedded_worker=True)
services, bot, dp, *_ = compose_run(settings)
services.worker()  # the embedded worker is built too; it renders (and imports) on its first packet
services.intake.close()
from bot.lazy_types import pending
import aiogram.types
from dialogs import faq_scope
dialects = {m.split(".")[2] for m in sys.modules if m.startswith("sqlalchemy.dialects.")} - {"_typing"}
print(json.dumps({"modules": sorted({m.split(".")[0] for m in sys.modules}), "pending": pending(),
                  "types": len(aiogram.types.__all__), "dialects": sorted(dialects),
                  "scope_classes_compiled": faq_scope._each.cache_info().currsize}))
"""


def after_compose_run(tmp_path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_building_run_imports_no_pdf_or_image_library_and_builds_few_telegram_types(tmp_path):
    fresh = after_compose_run(tmp_path)  # a fresh database: built from the models, no Alembic
    assert (tmp_path / "assistant.db").is_file()
    probe = after_compose_run(tmp_path)  # a restart: the database is current
    for started in (fresh, probe):
        loaded = set(started["modules"])
        assert "aiogram" in loaded and "sqlalchemy" in loaded  # the probe did build the bot
        assert sorted(set(PDF_STACK) & loaded) == []
        assert sorted(set(LATER) & loaded) == []
        assert started["dialects"] == ["sqlite"]  # not PostgreSQL's (asyncpg's) on an SQLite bot
        assert started["scope_classes_compiled"] == 0  # the FAQ's out-of-scope patterns: with its index
    # aiogram's import builds none of its ~450 types; the few built so far are those `run` used
    assert len(probe["pending"]) > probe["types"] * 0.8
    assert "Update" in probe["pending"] and "Message" in probe["pending"]


BUILD_ALL = """
import bot, json
from pydantic import BaseModel
import aiogram.methods, aiogram.types
from aiogram.methods.base import Response
failed = []
for module in (aiogram.types, aiogram.methods):
    for name in module.__all__:
        model = getattr(module, name)
        if isinstance(model, type) and issubclass(model, BaseModel) and not model.__pydantic_complete__:
            try:
                model.model_rebuild()
            except Exception as e:
                failed.append(f"{name}: {e}")
            if not model.__pydantic_complete__:
                failed.append(f"{name}: not complete")
update = {"update_id": 1, "message": {"message_id": 2, "date": 1700000000, "text": "/start",
          "chat": {"id": 5, "type": "private"}, "from": {"id": 5, "is_bot": False, "first_name": "a"}}}
parsed = Response[list[aiogram.types.Update]].model_validate({"ok": True, "result": [update]})
print(json.dumps({"failed": failed, "text": parsed.result[0].message.text}))
"""


def test_every_telegram_type_and_method_builds_when_first_used():
    """Deferring aiogram's builds must not leave any model that cannot build (a name it cannot
    resolve would fail only when a bot first meets that type)."""
    out = subprocess.run([sys.executable, "-c", BUILD_ALL], capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"failed": [], "text": "/start"}


KEPT = """
import bot, gc, json, weakref
from aiogram.methods import AnswerCallbackQuery, GetUpdates, SendMessage
from aiogram.methods.base import Response
refs = [weakref.ref(Response[m.__returning__]) for m in (AnswerCallbackQuery, GetUpdates, SendMessage)]
gc.collect()
print(json.dumps([r() is not None and Response[m.__returning__] is r() for r, m in
                  zip(refs, (AnswerCallbackQuery, GetUpdates, SendMessage))]))
"""


def test_the_answer_types_of_the_bot_api_are_built_once_not_again_after_a_gc():
    """aiogram parses each answer as `Response[<result type>]`; pydantic's cache of parametrised
    generics is weak, so after a GC the class (and, with the types built when first used, its whole
    validator: a getUpdates answer's is Update's) would be built again at the next call."""
    out = subprocess.run([sys.executable, "-c", KEPT], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, True, True]
