"""One settings object read from PORTAL_* variables and .env (operator contract in PRODUCT.md)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = 'change-me'  # noqa: S105 - the value we refuse
#: the header's white text needs WCAG AA contrast (4.5:1) on the brand colour; the same ratio holds for text and
#: outlines in the brand colour on the white page, so one check covers both
MIN_CONTRAST = 4.5
LOGO_MAX_BYTES = 1024 * 1024
_LOGO_KINDS = {'.png': 'PNG', '.jpg': 'JPEG', '.jpeg': 'JPEG', '.svg': 'SVG'}


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
    #: the utility's logo in the header, the favicon and the browser tab: a PNG, JPEG or SVG file (empty: none)
    brand_logo: Path | None = None
    #: the primary colour (#RRGGBB) of the header, buttons and links; dark enough for white text (4.5:1)
    brand_color: str = '#0b4f8a'
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

    @field_validator('brand_logo', mode='before')
    @classmethod
    def _no_logo_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator('brand_logo')
    @classmethod
    def _logo_is_an_image(cls, path: Path | None) -> Path | None:
        if path is None:
            return None
        path = path.expanduser().resolve()
        kind = _LOGO_KINDS.get(path.suffix.lower())
        if kind is None:
            raise ValueError(f'PORTAL_BRAND_LOGO={path}: the logo must be a .png, .jpg or .svg file')
        if not path.is_file():
            raise ValueError(f'PORTAL_BRAND_LOGO={path}: no such file')
        if path.stat().st_size > LOGO_MAX_BYTES:
            raise ValueError(f'PORTAL_BRAND_LOGO={path}: the logo is over 1 MB; every first page load fetches it')
        content = path.read_bytes()
        if _image_kind(content[:4096]) != kind:
            raise ValueError(f'PORTAL_BRAND_LOGO={path}: the file is not a {kind} image')
        if kind == 'SVG' and b'<script' in content.lower():
            # the logo is served from the portal's own origin: a script in it would run there
            raise ValueError(f'PORTAL_BRAND_LOGO={path}: the SVG contains a <script>; export the logo without it')
        return path

    @field_validator('brand_color')
    @classmethod
    def _color_is_dark_enough(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r'#[0-9a-fA-F]{6}', value):
            raise ValueError(f'PORTAL_BRAND_COLOR={value!r}: give a colour as #RRGGBB, e.g. #0b4f8a')
        ratio = contrast_with_white(value)
        if ratio < MIN_CONTRAST:
            raise ValueError(
                f'PORTAL_BRAND_COLOR={value}: white text on it has a contrast of {ratio:.1f}:1, '
                f'below the {MIN_CONTRAST}:1 that WCAG AA asks for; choose a darker shade'
            )
        return value.lower()

    @model_validator(mode='after')
    def _refuse_placeholder_secret(self) -> Settings:
        if not self.demo and self.storage_secret == PLACEHOLDER_SECRET:
            raise ValueError(
                'PORTAL_STORAGE_SECRET is the placeholder: set a long random value '
                '(e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"`) or run with PORTAL_DEMO=true'
            )
        return self


def contrast_with_white(color: str) -> float:
    """WCAG 2 contrast ratio of white against a #RRGGBB colour (1 to 21)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(color[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def _image_kind(head: bytes) -> str | None:
    if head.startswith(b'\x89PNG\r\n\x1a\n'):
        return 'PNG'
    if head.startswith(b'\xff\xd8\xff'):
        return 'JPEG'
    if b'<svg' in head:
        return 'SVG'
    return None


settings: Settings


def load(**overrides: object) -> Settings:
    """(Re)read the environment; services read `config.settings` at call time, so tests can reload.

    PORTAL_ENV_FILE names the env file (default `.env`; empty: none)."""
    global settings
    env_file = os.environ.get('PORTAL_ENV_FILE', '.env') or None
    settings = Settings(_env_file=env_file, **overrides)  # type: ignore[arg-type, call-arg]
    return settings
