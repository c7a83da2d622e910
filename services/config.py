"""One settings object read from PORTAL_* variables and .env (operator contract in PRODUCT.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = 'change-me'  # noqa: S105 - the value we refuse


@dataclass(frozen=True)
class Profile:
    """What a portal profile allows: the two seed portals and their union."""

    name: str
    register_by_login: bool  # flow 1 (seed 000)
    first_entry_by_account: bool  # flow 2 (seed 004)
    require_sms_and_email: bool  # seed 000: SMS code AND email link
    password_min: int
    password_max: int


PROFILES = {
    'default': Profile('default', True, True, False, 8, 64),
    'atom': Profile('atom', True, False, True, 8, 64),
    'volga': Profile('volga', False, True, False, 8, 20),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix='PORTAL_', env_file='.env', extra='ignore')

    host: str = '127.0.0.1'
    port: int = 8080
    database_url: str = 'sqlite://data/portal.sqlite3'
    profile: Literal['default', 'atom', 'volga'] = 'default'
    base_url: str = 'http://127.0.0.1:8080'
    storage_secret: str = PLACEHOLDER_SECRET
    demo: bool = False
    brand_name: str = 'Энергосбыт'
    #: the customers' clock: which day and month it is for payments, bills and lock times
    timezone: str = 'Europe/Moscow'

    smtp_host: str = ''
    smtp_port: int = 25
    smtp_user: str = ''
    smtp_password: str = ''
    smtp_tls: Literal['none', 'starttls', 'tls'] = 'none'
    smtp_timeout: float = 30.0
    mail_from: str = 'portal@localhost'

    sms_provider: Literal['console', 'webhook', 'smsru', 'smsc'] = 'console'
    sms_url: str = ''
    sms_api_key: str = ''
    sms_login: str = ''
    sms_sender: str = ''
    sms_countries: list[int] = Field(default_factory=lambda: [7])

    redis_url: str = ''

    accounts_per_email: int = 10
    outbox_max_attempts: int = 8
    outbox_poll_seconds: float = 2.0
    #: how long a claimed message is its worker's before it counts as abandoned (default: outbox.LEASE, 5 minutes)
    outbox_lease_seconds: float | None = Field(default=None, gt=0)
    #: day of the month (customers' date) the server sends the previous month's bills; 31 means the month's last day
    bill_day: int = Field(default=1, ge=1, le=31)
    #: SMTP connections `send-bills` delivers over at once; also the most bills a SIGKILL can get sent twice
    bill_connections: int = Field(default=4, ge=1, le=32)
    hash_concurrency: int = 2
    log_level: str = 'INFO'

    @property
    def profile_rules(self) -> Profile:
        return PROFILES[self.profile]

    @property
    def https(self) -> bool:
        return self.base_url.startswith('https://')

    @model_validator(mode='after')
    def _refuse_placeholder_secret(self) -> Settings:
        if not self.demo and self.storage_secret == PLACEHOLDER_SECRET:
            raise ValueError(
                'PORTAL_STORAGE_SECRET is the placeholder: set a long random value '
                '(e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"`) or run with PORTAL_DEMO=true'
            )
        return self


settings: Settings


def load(**overrides: object) -> Settings:
    """(Re)read the environment; services read `config.settings` at call time, so tests can reload.

    PORTAL_ENV_FILE names the env file (default `.env`; empty: none)."""
    global settings
    env_file = os.environ.get('PORTAL_ENV_FILE', '.env') or None
    settings = Settings(_env_file=env_file, **overrides)  # type: ignore[arg-type, call-arg]
    return settings
