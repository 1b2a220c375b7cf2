"""Dispatch configuration: a channel per department, retries, leases and reminders."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from dispatch.channels import Channel, FolderChannel, TelegramNoticeChannel, WebhookChannel
from dialogs.departments import KEYS as DEPARTMENTS


class ChannelConfig(BaseModel):
    kind: Literal["folder", "webhook", "telegram"] = "folder"
    url: str | None = None
    secret: SecretStr | None = None
    timeout: float = 30.0
    chat_id: int | None = None  # the department's staff chat: notices, reminders

    @model_validator(mode="after")
    def _complete(self) -> "ChannelConfig":
        if self.kind == "webhook" and not (self.url and self.secret and len(self.secret.get_secret_value()) >= 32):
            raise ValueError("a webhook channel needs a url and a secret of at least 32 characters")
        if self.kind == "telegram" and not self.chat_id:
            raise ValueError("a telegram channel needs the department's staff chat_id")
        return self


class DispatchConfig(BaseModel):
    departments: dict[str, ChannelConfig] = Field(
        default_factory=lambda: {d: ChannelConfig() for d in DEPARTMENTS})
    admin_chat_id: int | None = None
    window_chat_id: int | None = None
    max_attempts: int = 8
    backoff_base: float = 5.0    # seconds before the first retry, doubled each time
    backoff_cap: float = 900.0
    lease: float = 120.0         # seconds a claimed delivery stays invisible to other workers
    poll_interval: float = 2.0
    batch: int = 10
    reminder_days: int = 3       # remind a department when this many working days are left
    remind_every: float = 3600.0  # seconds between deadline checks in run_forever

    @model_validator(mode="after")
    def _all_departments(self) -> "DispatchConfig":
        for d in DEPARTMENTS:
            self.departments.setdefault(d, ChannelConfig())
        unknown = set(self.departments) - set(DEPARTMENTS)
        if unknown:
            raise ValueError(f"unknown departments: {sorted(unknown)}")
        return self

    def webhook_secrets(self) -> dict[str, str]:
        return {d: c.secret.get_secret_value() for d, c in self.departments.items()
                if c.kind == "webhook" and c.secret}


def build_channels(config: DispatchConfig, data_dir: Path, sessionmaker) -> dict[str, Channel]:
    """Folder channels write under data_dir/outbox/<dept>/."""
    channels: dict[str, Channel] = {}
    for dept, c in config.departments.items():
        if c.kind == "webhook":
            channels[dept] = WebhookChannel(c.url or "", c.secret.get_secret_value() if c.secret else "",
                                            timeout=c.timeout)
        elif c.kind == "telegram":
            channels[dept] = TelegramNoticeChannel(sessionmaker, int(c.chat_id or 0))
        else:
            channels[dept] = FolderChannel(Path(data_dir) / "outbox")
    return channels
