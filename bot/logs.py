"""Logging set-up: one masking filter on the root handler, and no logger that prints raw data."""

from __future__ import annotations

import logging
import re

from dialogs.redact import redact

MAX_LEN = 2000
# Loggers whose low levels print SQL parameters or raw payloads: held above them at any LOG_LEVEL.
QUIET = {
    "aiosqlite": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.orm": logging.WARNING,
    "asyncpg": logging.INFO,
    "aiohttp.access": logging.WARNING,
    "transitions": logging.WARNING,
    "alembic": logging.WARNING,
    "fontTools": logging.WARNING,
}
# aiogram's ClientDecodeError appends the whole raw response; pydantic errors quote the input.
_RAW = (re.compile(r"(Content: ).*", re.S), re.compile(r"(input_value=).*?(?=, input_type=|\]$|$)", re.M))


def mask(text: str) -> str:
    for pattern in _RAW:
        text = pattern.sub(r"\1<omitted>", text)
    masked = redact(text)
    return masked[:MAX_LEN] + "…" if len(masked) > MAX_LEN else masked


class MaskingFilter(logging.Filter):
    """On the handler, so it sees every record that propagates (aiogram's, SQLAlchemy's, ours)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
