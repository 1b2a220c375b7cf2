"""Shared bench helpers: machine facts, statistics, databases, a lean recording Bot session, scripts."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bot.lazy_types  # noqa: E402,F401 - before aiogram, as `python -m bot` does: types built when used

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # the tests' Monday: the script's dates fit it
PG_ENV = "TEST_DATABASE_URL"


# ---- figures -------------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in seconds]
    return {
        "n": len(ms),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
        "p50_ms": pct(ms, 50),
        "p99_ms": pct(ms, 99),
        "max_ms": max(ms) if ms else float("nan"),
    }


def emit(result: dict[str, Any]) -> None:
    """Scenario scripts print one JSON line prefixed so the runner can find it among logs."""
    print("BENCH-RESULT " + json.dumps(result, ensure_ascii=False, default=str), flush=True)


def machine() -> dict[str, str]:
    import aiogram
    import sqlalchemy

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        ram = "?"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu} ({os.cpu_count()} logical cores)",
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "aiogram": aiogram.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


# ---- databases -----------------------------------------------------------------------------------
def sqlite_file_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'bench.db'}"


@asynccontextmanager
async def database(kind: str, directory: Path):
    """A fresh migrated database: an SQLite file in `directory`, or a new PostgreSQL database
    on the server of TEST_DATABASE_URL, dropped afterwards."""
    from storage.migrate import upgrade

    if kind == "sqlite":
        url = sqlite_file_url(directory)
        await asyncio.to_thread(upgrade, url)
        yield url
        return
    import asyncpg

    base = os.environ[PG_ENV]
    name = f"bench_{uuid.uuid4().hex[:10]}"
    dsn = base.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = f"{base.rpartition('/')[0]}/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


# ---- `python -m bot ...` against the fake Bot API -------------------------------------------------
BOT_SETTINGS = ("BOT_TOKEN", "TELEGRAM_API_BASE", "DATA_DIR", "DATABASE_URL")


def bot_env(api_base: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """This environment without the bot's own settings (and DISPATCH__*), then the fake Bot API's,
    `data_dir`, SQLite in it unless DATABASE_URL is given, and `settings`."""
    from tests.e2e.fakebot import DEFAULT_TOKEN

    env = {k: v for k, v in os.environ.items() if k not in BOT_SETTINGS and not k.startswith("DISPATCH__")}
    env.update(
        BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_BASE=api_base,
        DATA_DIR=str(data_dir),
        DATABASE_URL="",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    env.update(settings)
    return env


class BotChild:
    """One child process (`python -m bot run` by default, in `cwd`: this checkout unless given) with
    its output in `log`; `stop()` sends SIGTERM and waits (kill after 15 s). A context manager."""

    def __init__(
        self, env: dict[str, str], log: Path, command: list[str] | None = None, cwd: Path | None = None
    ) -> None:
        import subprocess

        self.log = open(log, "wb")  # noqa: SIM115 - the child writes it; closed in stop()
        self.proc = subprocess.Popen(
            command or [sys.executable, "-m", "bot", "run"],
            cwd=cwd or ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self) -> BotChild:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- a lean recording Bot API session --------------------------------------------------------------
def bench_session_class():
    from aiogram.methods import GetFile, SendDocument, SendMessage
    from aiogram.types import Chat, File, InlineKeyboardMarkup, Message

    from tests.bot.recording import RecordingSession

    class BenchSession(RecordingSession):
        """RecordingSession that counts instead of keeping every request (memory stays flat), and
        answers a reply keyboard (share-contact) the way Telegram does: a Message has inline
        markup only."""

        def __init__(self, keep_texts: bool = True) -> None:
            super().__init__()
            self.keep_texts = keep_texts  # the last text per chat (to spot 系统繁忙); off to measure memory
            self.count = 0
            self.by_method: dict[str, int] = {}
            self.texts_by_chat: dict[int, str] = {}
            self._mids = itertools.count(1000)

        async def make_request(self, bot, method, timeout=None):
            self.count += 1
            name = type(method).__name__
            self.by_method[name] = self.by_method.get(name, 0) + 1
            if isinstance(method, (SendMessage, SendDocument)):
                chat_id = int(method.chat_id)
                text = getattr(method, "text", None)
                if text is not None and self.keep_texts:
                    self.texts_by_chat[chat_id] = text
                markup = method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
                return Message(
                    message_id=next(self._mids),
                    date=NOW,
                    chat=Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup"),
                    text=text,
                    reply_markup=markup,
                )
            if isinstance(method, GetFile):
                return File(file_id=method.file_id, file_unique_id=method.file_id, file_path=f"files/{method.file_id}")
            return True

    return BenchSession


# ---- scripted applicants ----------------------------------------------------------------------------
def photo(seed: int, color: str) -> bytes:
    """A phone-sized JPEG, different per applicant (identical uploads would share one blob)."""
    from PIL import Image

    im = Image.new("RGB", (800, 600), color)
    im.putpixel((seed % 800, (seed // 800) % 600), (seed % 251, seed % 241, seed % 239))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def script_updates(script, uid: int, files: dict[str, bytes]) -> list[tuple[str, Any]]:
    """(kind, Update) for one applicant; kind is 'upload' for photos, else 'update'."""
    from tests import factories as f

    out = []
    n = 0
    for kind, value in script:
        if kind == "choose":
            out.append(("update", f.callback_update(value, uid)))
        elif kind == "upload":
            for data in value:
                n += 1
                fid = f"u{uid}_{n}"
                files[fid] = photo(uid * 8 + n, ["red", "white", "black", "blue"][n % 4]) if data else data
                out.append(("upload", f.photo_update(fid, uid, size=len(files[fid]))))
        elif kind == "command":
            out.append(("update", f.text_update("/" + value, uid)))
        else:
            out.append(("update", f.text_update(value, uid)))
    return out


class Stopwatch:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the assistant, wired like `python -m bot run` -------------------------------------------------
def services_for(url: str, data_dir: Path, **settings):
    from bot import compose
    from bot.settings import Settings

    if os.environ.get("BENCH_POOL_SIZE") and not getattr(compose.make_engine, "bench", False):
        # what-if: a fixed pool (e.g. 1: one SQLite connection, writers queue in-process, FIFO)
        import functools

        size = int(os.environ["BENCH_POOL_SIZE"])
        compose.make_engine = functools.partial(compose.make_engine, pool_size=size, max_overflow=0)
        compose.make_engine.bench = True
    kw = {"embedded_worker": False, "auto_accept": False} | settings
    return compose.build(Settings(_env_file=None, data_dir=data_dir, database_url=url, **kw), migrate=False)


def user_input(kind: str, value, seed: int = 0, step: int = 0):
    """`step` tells one applicant's uploads apart: the engine refuses a file already used for another slot."""
    from dialogs.model import Upload, UserInput

    if kind == "choose":
        return UserInput(now=NOW, account=f"telegram:{seed}", kind="choose", payload=value)
    if kind == "upload":
        files = [Upload(data=photo((seed * 16 + step) * 8 + i, "grey"), size=1) for i, _ in enumerate(value)]
        return UserInput(now=NOW, account=f"telegram:{seed}", kind="upload", files=files)
    if kind == "command":
        return UserInput(now=NOW, account=f"telegram:{seed}", kind="command", command=value)
    return UserInput(now=NOW, account=f"telegram:{seed}", kind="text", text=value)


async def template_draft(runner, script, uid: int) -> tuple[str, dict]:
    """Drive one applicant through `script` with the real runner; return its draft (state, data)."""
    from sqlalchemy import select

    from bot.runner import Who
    from storage.models import Applicant, Draft

    who = Who("telegram", str(uid), uid)
    for step, (kind, value) in enumerate(script):
        await runner.handle(who, user_input(kind, value, uid, step))
    async with runner.sessionmaker() as db:
        row = (
            await db.execute(
                select(Draft.state, Draft.data)
                .join(Applicant, Applicant.id == Draft.applicant_id)
                .where(Applicant.external_id == str(uid))
            )
        ).one()
    return row.state, row.data


async def bulk_drafts(sessionmaker, first_uid: int, n: int, state: str, data: dict, batch: int = 2000) -> list[int]:
    """n applicants with a draft each, inserted in batches (Core executemany); returns their uids."""
    from sqlalchemy import insert

    from storage.models import Applicant, Draft

    uids = list(range(first_uid, first_uid + n))
    engine = sessionmaker.kw["bind"]
    if engine.dialect.name == "sqlite" and n > batch:  # the loader, not the assistant: plain sqlite3, fast
        await asyncio.to_thread(_sqlite_bulk, engine.url.database, uids, state, data)
        return uids
    for i in range(0, n, batch):
        part = uids[i : i + batch]
        async with sessionmaker() as db:
            ids = (
                (
                    await db.execute(
                        insert(Applicant).returning(Applicant.id, sort_by_parameter_order=True),
                        [
                            {
                                "channel": "telegram",
                                "external_id": str(u),
                                "chat_id": u,
                                "username": f"u{u}",
                                "created_at": NOW,
                            }
                            for u in part
                        ],
                    )
                )
                .scalars()
                .all()
            )
            await db.execute(
                insert(Draft),
                [
                    {
                        "applicant_id": a,
                        "state": state,
                        "data": data,
                        "epoch": 0,
                        "version": 0,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for a in ids
                ],
            )
            await db.commit()
    return uids


def _sqlite_bulk(path: str, uids: list[int], state: str, data: dict) -> None:
    """Rows as SQLAlchemy writes them on SQLite (JSON text, naive UTC timestamps)."""
    stamp = NOW.replace(tzinfo=None).isoformat(" ", "microseconds")
    body = json.dumps(data)
    db = sqlite3.connect(path)
    try:
        with db:
            first = (db.execute("SELECT coalesce(max(id), 0) FROM applicants").fetchone()[0]) + 1
            ids = range(first, first + len(uids))
            db.executemany(
                "INSERT INTO applicants (id, channel, external_id, chat_id, username, created_at) "
                "VALUES (?, 'telegram', ?, ?, ?, ?)",
                ((i, str(u), u, f"u{u}", stamp) for i, u in zip(ids, uids, strict=False)),
            )
            db.executemany(
                "INSERT INTO drafts (applicant_id, state, data, epoch, version, created_at, updated_at) "
                "VALUES (?, ?, ?, 0, 0, ?, ?)",
                ((i, state, body, stamp, stamp) for i in ids),
            )
    finally:
        db.close()
