"""Dispatch configuration: a channel per department, retries, leases and reminders."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator

from dialogs.departments import KEYS as DEPARTMENTS
from dispatch.channels import Channel, FolderChannel, TelegramNoticeChannel, WebhookChannel, age_recipient

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_SECRET_BITS = 128


def check_webhook_url(url: str) -> None:
    """https only; plain http only to this machine (a local bridge)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError("a webhook url needs a host")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
        return
    raise ValueError("a webhook url must be https:// (http:// only for 127.0.0.1 or localhost)")


def check_secret(secret: str) -> None:
    """At least 32 characters and about 128 bits by the character statistics: `secrets.token_urlsafe(32)`
    passes, 32 spaces or a repeated word do not."""
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values()) if secret else 0.0
    if len(secret) < 32 or secret.strip() != secret or len(counts) < 12 or per_char * len(secret) < MIN_SECRET_BITS:
        raise ValueError(
            "a webhook secret needs at least 32 random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


class ChannelConfig(BaseModel):
    kind: Literal["folder", "webhook", "telegram"] = "folder"
    url: str | None = None
    secret: SecretStr | None = None
    timeout: float = 30.0
    chat_id: int | None = None  # the department's staff chat: notices, reminders
    public_key: str | None = None  # age recipient (age1…): folder packets are encrypted to it

    @model_validator(mode="after")
    def _complete(self) -> ChannelConfig:
        if self.kind == "webhook":
            if not (self.url and self.secret):
                raise ValueError("a webhook channel needs a url and a secret")
            check_webhook_url(self.url)
            check_secret(self.secret.get_secret_value())
        if self.kind == "telegram" and not self.chat_id:
            raise ValueError("a telegram channel needs the department's staff chat_id")
        if self.public_key:
            age_recipient(self.public_key)
        return self


class DispatchConfig(BaseModel):
    departments: dict[str, ChannelConfig] = Field(default_factory=lambda: {d: ChannelConfig() for d in DEPARTMENTS})
    admin_chat_id: int | None = None
    window_chat_id: int | None = None
    max_attempts: int = 8
    backoff_base: float = 5.0  # seconds before the first retry, doubled each time
    backoff_cap: float = 900.0
    lease: float = 120.0  # seconds a claimed delivery stays invisible to other workers
    poll_interval: float = 2.0
    batch: int = 10
    reminder_days: int = 3  # remind a department when this many working days are left
    remind_every: float = 3600.0  # seconds between deadline checks in run_forever

    @model_validator(mode="after")
    def _all_departments(self) -> DispatchConfig:
        for d in DEPARTMENTS:
            self.departments.setdefault(d, ChannelConfig())
        unknown = set(self.departments) - set(DEPARTMENTS)
        if unknown:
            raise ValueError(f"unknown departments: {sorted(unknown)}")
        return self

    def webhook_secrets(self) -> dict[str, str]:
        return {d: c.secret.get_secret_value() for d, c in self.departments.items() if c.kind == "webhook" and c.secret}


def build_channels(config: DispatchConfig, data_dir: Path, sessionmaker) -> dict[str, Channel]:
    """Folder channels write under data_dir/outbox/<dept>/."""
    channels: dict[str, Channel] = {}
    keys = {d: c.public_key for d, c in config.departments.items() if c.public_key}
    for dept, c in config.departments.items():
        if c.kind == "webhook":
            channels[dept] = WebhookChannel(
                c.url or "", c.secret.get_secret_value() if c.secret else "", timeout=c.timeout
            )
        elif c.kind == "telegram":
            channels[dept] = TelegramNoticeChannel(sessionmaker, int(c.chat_id or 0))
        else:
            channels[dept] = FolderChannel(Path(data_dir) / "outbox", keys)
    return channels
