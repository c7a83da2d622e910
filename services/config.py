"""One settings object read from PORTAL_* variables and .env (each one in docs/operator.md)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.logo import svg_refusal

Networks = Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode]
PLACEHOLDER_SECRET = 'change-me'  # noqa: S105 - the value we refuse
#: the header's white text needs WCAG AA contrast (4.5:1) on the brand colour; the same ratio holds for text and
#: outlines in the brand colour on the white page, so one check covers both
MIN_CONTRAST = 4.5
LOGO_MAX_BYTES = 1024 * 1024
_LOGO_KINDS = {'.png': 'PNG', '.jpg': 'JPEG', '.jpeg': 'JPEG', '.svg': 'SVG'}


@dataclass(frozen=True)
class Profile:
    """What a portal profile allows: the two portals the product follows (atom, volga) and their union."""

    name: str
    register_by_login: bool  # docs/product.md, flow 1
    first_entry_by_account: bool  # docs/product.md, flow 2
    require_sms_and_email: bool  # flow 1 in profile atom: SMS code AND email link
    password_min: int
    password_max: int


PROFILES = {
    'default': Profile('default', True, True, False, 8, 64),
    'atom': Profile('atom', True, False, True, 8, 64),
    'volga': Profile('volga', False, True, False, 8, 20),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix='PORTAL_', env_file='.env', extra='ignore')

    #: the address the server listens on
    host: str = '127.0.0.1'
    #: the port the server listens on
    port: int = 8080
    #: the database: a SQLite file (the folder is created) or postgres://user:password@host:5432/name
    database_url: str = 'sqlite://data/portal.sqlite3'
    #: which flows are on and the password length: default, atom or volga (docs/product.md)
    profile: Literal['default', 'atom', 'volga'] = 'default'
    #: the portal's address as customers reach it, for the links in emails; https://… also sends HSTS
    base_url: str = 'http://127.0.0.1:8080'
    #: signs browser storage and unsubscribe links, keys the SMS code hashes; the placeholder is refused outside
    #: demo mode
    storage_secret: str = PLACEHOLDER_SECRET
    #: demo mode: the placeholder secret, console SMS and no SMTP host allowed, `main.py demo` data, /demo/mail
    demo: bool = False
    #: the utility's name in the header, page titles, emails and SMS
    brand_name: str = 'Энергосбыт'
    #: the utility's logo in the header, the favicon and the browser tab: a PNG, JPEG or SVG file (empty: none)
    brand_logo: Path | None = None
    #: the primary colour (#RRGGBB) of the header, buttons and links; dark enough for white text (4.5:1)
    brand_color: str = '#0b4f8a'
    #: the customers' clock: which day and month it is for payments, bills and lock times
    timezone: str = 'Europe/Moscow'

    #: the SMTP server; required outside demo mode (in demo mode, when empty, mail goes to the log)
    smtp_host: str = ''
    #: the SMTP server's port
    smtp_port: int = 25
    #: the SMTP login, when the server wants one
    smtp_user: str = ''
    #: the SMTP password, when the server wants one
    smtp_password: str = ''
    #: none, starttls (upgrade after connecting) or tls (TLS from the start, usually port 465)
    smtp_tls: Literal['none', 'starttls', 'tls'] = 'none'
    #: seconds to wait for the SMTP server
    smtp_timeout: float = 30.0
    #: the sender address of every email; the brand name is its display name
    mail_from: str = 'portal@localhost'

    #: console (the log; demo mode only), webhook, smsru (SMS.RU) or smsc (SMSC.ru)
    sms_provider: Literal['console', 'webhook', 'smsru', 'smsc'] = 'console'
    #: webhook: the URL it POSTs {"phone", "text"} JSON to; smsru, smsc: another base URL than the provider's
    sms_url: str = ''
    #: smsru: the api_id; smsc: the password
    sms_api_key: str = ''
    #: smsc: the login
    sms_login: str = ''
    #: the SMS sender name, when the provider has approved one
    sms_sender: str = ''
    #: the country calling codes a customer's phone may have, as a JSON list, e.g. [7, 375]
    sms_countries: list[int] = Field(default_factory=lambda: [7])

    #: Redis for NiceGUI's browser storage, so several portal processes share it (the `redis` extra)
    redis_url: str = ''
    #: the proxies whose X-Forwarded-For names the customer's IP: addresses and networks, comma-separated (none)
    trusted_proxies: Networks = ()
    #: who may read /metrics: addresses and networks, comma-separated, matched against the customer's IP as
    #: PORTAL_TRUSTED_PROXIES decides it (empty: nobody)
    metrics_from: Networks = (ip_network('127.0.0.1'), ip_network('::1'))

    #: personal accounts one email address may serve, over all cabinets and e-bill subscriptions
    accounts_per_email: int = 10
    #: delivery attempts of one email or SMS before it fails for good
    outbox_max_attempts: int = 8
    #: how often the outbox worker looks for messages other processes queued and retries that came due
    outbox_poll_seconds: float = 2.0
    #: how long a claimed message is its worker's before it counts as abandoned (default: outbox.LEASE, 5 minutes)
    outbox_lease_seconds: float | None = Field(default=None, gt=0)
    #: day of the month (customers' date) the server sends the previous month's bills; 31 means the month's last day
    bill_day: int = Field(default=1, ge=1, le=31)
    #: SMTP connections `send-bills` delivers over at once; also the most bills a SIGKILL can get sent twice
    bill_connections: int = Field(default=4, ge=1, le=32)
    #: the largest billing CSV an admin may upload in the operator console, in MB (the import command has no limit)
    import_upload_max_mb: int = Field(default=20, ge=1, le=1024)
    #: the readings submission window, days of the month `FROM-TO` (customers' dates), where a region sets none
    readings_window: str = '15-25'
    #: kWh of one zone since the previous reading above which a submission asks «Проверьте показания» and a
    #: confirmation, whatever the customer's usual consumption
    readings_cap_kwh: int = Field(default=10_000, ge=1)
    #: the contact centre's phone shown on every page and in every email, as customers dial it (empty: not shown)
    support_phone: str = ''
    #: its working hours as customers read them, e.g. «пн–пт 8:00–20:00» (empty: not shown)
    support_hours: str = ''
    #: password hashes computed at once (argon2id: 64 MiB and about 1.5 cores each)
    hash_concurrency: int = 2
    #: the log level of the server and the commands
    log_level: str = 'INFO'
    #: `text` (one line per record) or `json` (one JSON object per line, for a log collector)
    log_format: Literal['text', 'json'] = 'text'
    #: /readyz fails when a message has been due for delivery this long and no worker took it (0: not checked)
    ready_outbox_minutes: int = Field(default=15, ge=0)
    #: the housekeeping erases the text of messages sent more than this many days ago (0: kept for ever)
    keep_sent_days: int = Field(default=30, ge=0)
    #: and deletes audit events older than this many days (0: kept for ever)
    keep_audit_days: int = Field(default=365, ge=0)
    #: log the server's garbage-collection pauses: each one of 20 ms or more, and the longest of every minute
    gc_log: bool = False

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
        refusal = svg_refusal(content) if kind == 'SVG' else None
        if refusal:
            # the logo is served from the portal's own origin: whatever runs in it would run there
            raise ValueError(f'PORTAL_BRAND_LOGO={path}: the SVG {refusal}; export the logo without it')
        return path

    @field_validator('trusted_proxies', 'metrics_from', mode='before')
    @classmethod
    def _are_networks(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        networks = []
        for item in filter(None, (part.strip() for part in value.split(','))):
            try:
                networks.append(ip_network(item, strict=False))
            except ValueError:
                raise ValueError(
                    f'PORTAL_{(info.field_name or "").upper()}: {item!r} is not an IP address or network; give them '
                    'separated by commas, e.g. 127.0.0.1, 10.0.0.0/24'
                ) from None
        return tuple(networks)

    @field_validator('readings_window')
    @classmethod
    def _window_is_days(cls, value: str) -> str:
        match = re.fullmatch(r'\s*([0-9]{1,2})\s*-\s*([0-9]{1,2})\s*', value)
        if not match or not 1 <= int(match[1]) <= int(match[2]) <= 31:
            raise ValueError(
                f'PORTAL_READINGS_WINDOW={value!r}: give the first and the last day of the month customers submit '
                'readings on, as FROM-TO with 1 <= FROM <= TO <= 31, e.g. 15-25'
            )
        return f'{int(match[1])}-{int(match[2])}'

    @field_validator('support_phone')
    @classmethod
    def _phone_is_dialable(cls, value: str) -> str:
        value = ' '.join(value.split())
        digits = re.sub(r'[^0-9]', '', value)
        if value and (not re.fullmatch(r'\+?[0-9][0-9 ()-]*', value) or not 5 <= len(digits) <= 15 or len(value) > 32):
            raise ValueError(
                f'PORTAL_SUPPORT_PHONE={value!r}: give the number as customers dial it, 5 to 15 digits with spaces, '
                'hyphens, brackets and a leading + at most (32 characters), e.g. 8 800 100-00-00'
            )
        return value

    @field_validator('support_hours')
    @classmethod
    def _hours_are_short_text(cls, value: str) -> str:
        value = ' '.join(value.split())
        # shown on every page and in every email: one short line of text
        if len(value) > 80 or any(not char.isprintable() for char in value):
            raise ValueError(
                f'PORTAL_SUPPORT_HOURS={value[:100]!r}: give the hours as one line of at most 80 characters, '
                'e.g. пн–пт 8:00–20:00'
            )
        return value

    @property
    def support_tel(self) -> str:
        """The phone as a `tel:` link dials it: its digits, and the + of an international number."""
        digits = re.sub(r'[^0-9]', '', self.support_phone)
        return f'tel:{"+" if self.support_phone.startswith("+") else ""}{digits}' if digits else ''

    def metrics_allowed(self, client: str | None) -> bool:
        """Whether a request from this IP (as ClientAddressMiddleware decided it) may read /metrics."""
        try:
            address: IPv4Address | IPv6Address = ip_address(client or '')
        except ValueError:
            return False
        return any(address in network for network in self.metrics_from)

    @property
    def readings_days(self) -> tuple[int, int]:
        first, last = self.readings_window.split('-')
        return int(first), int(last)

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

    @model_validator(mode='after')
    def _refuse_console_sms(self) -> Settings:
        # the console provider writes one-time codes into the log while the customer reads «Код отправлен»
        if not self.demo and self.sms_provider == 'console':
            raise ValueError(
                'PORTAL_SMS_PROVIDER=console writes SMS codes into the log and sends nothing: choose webhook, smsru '
                'or smsc (docs/operator.md) or run with PORTAL_DEMO=true'
            )
        return self

    @model_validator(mode='after')
    def _refuse_missing_smtp_host(self) -> Settings:
        # without a host every email (confirmations, reset links, bills) would wait in the outbox and then fail
        if not self.demo and not self.smtp_host.strip():
            raise ValueError(
                'PORTAL_SMTP_HOST is not set: no email could be sent; name the SMTP server '
                '(docs/operator.md) or run with PORTAL_DEMO=true'
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
