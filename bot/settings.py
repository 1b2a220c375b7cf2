"""Settings from the environment or a .env file (pydantic-settings); read only by composition roots."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatch.config import DispatchConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_nested_delimiter="__"
    )

    bot_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    data_dir: Path = Path("data")
    database_url: str | None = None
    log_level: str = "INFO"
    # The window's acceptance (受理) is a staff action; `auto` accepts at once for demonstrations.
    auto_accept: bool = False
    # Chat ids of staff group chats (0 = none configured).
    window_chat_id: int = 0
    helpdesk_chat_id: int = 0
    admin_chat_id: int = 0
    # The department-dispatch worker runs inside `run` unless it runs as its own process.
    embedded_worker: bool = True
    # Signed callbacks of webhook departments (POST /callback); 0 = off.
    callback_port: int = 0
    callback_host: str = "127.0.0.1"
    # Webhook mode (#16): Telegram POSTs updates to WEBHOOK_URL (behind a reverse proxy that forwards to
    # WEB_HOST:WEB_PORT at the URL's path), each request carrying WEBHOOK_SECRET; unset = long polling.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # The webhook path, /metrics, /healthz and /readyz are served on the WEB_HOST:WEB_PORT listener
    # below (the workbench's); webhook mode defaults to port 8080.
    # Flood limits, callback refusals and outbound pacing for the whole bot (every process) over Redis,
    # e.g. redis://127.0.0.1:6379/0; unset = per process. Keys start with REDIS_PREFIX (one per bot).
    redis_url: str | None = None
    redis_prefix: str = "hebei"
    # The window's workbench (`python -m bot web`; `run` serves it too when WEB_PORT is set).
    web_host: str = "127.0.0.1"
    web_port: int | None = None
    web_secure_cookies: bool = False  # true behind TLS: the session cookie gets the Secure flag
    web_window_name: str = "政务服务中心“一件事一次办”窗口"
    web_phone: str = "12333"
    bot_username: str = ""  # for the receipt's QR code (a t.me link); empty: the QR holds "/bind CODE"
    # Upload checks run in this many worker processes, each capped in memory and in time per file.
    intake_workers: int = 2
    intake_memory_mb: int = 1024
    intake_seconds: float = 20.0
    uploads_per_day: int = 100
    # Updates one Telegram user may send a minute; the rest are dropped (one warning a minute).
    flood_per_minute: int = 30
    # Per department: DISPATCH__DEPARTMENTS__TAX__KIND=webhook, ...__URL, ...__SECRET, ...__CHAT_ID
    dispatch: DispatchConfig = Field(default_factory=DispatchConfig)
    # Keys of the personal data at rest: ENCRYPTION_KEYS (the key file's JSON) or KEY_FILE (a path
    # outside the data directory in production); with neither, DATA_DIR/keys.json is created once.
    encryption_keys: SecretStr | None = None
    key_file: Path | None = None
    # Retention (days): untouched drafts; warning that long before; completed cases; delivered packets.
    draft_retention_days: int = 30
    draft_warning_days: int = 3
    case_retention_days: int = 365 * 3
    packet_retention_days: int = 30
    # Option lists of the form (户口性质, 个人身份, 缴费档次, 转入机构, 参保地): <dir>/<key>.json
    # replaces the shipped default of that key (dialogs/data/options/); validated at start.
    options_dir: Path | None = None

    def dispatch_config(self) -> DispatchConfig:
        cfg = self.dispatch.model_copy()
        cfg.admin_chat_id = cfg.admin_chat_id or self.admin_chat_id or None
        cfg.window_chat_id = cfg.window_chat_id or self.window_chat_id or None
        return cfg

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'assistant.db').resolve()}"

    @property
    def key_path(self) -> Path:
        return self.key_file or self.data_dir / "keys.json"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"
