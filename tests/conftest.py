"""Shared fixtures: a fresh migrated database per test (SQLite or PostgreSQL), a real SMTP server,
a loopback SMS webhook, a movable clock and settings from the environment, as an operator sets them."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services import clock, config
from tests.support.servers import Mailbox, SmsInbox, start_sms_server, start_smtp_server

ROOT = Path(__file__).resolve().parent.parent
#: e.g. postgres://postgres@127.0.0.1:5432 — the suite then makes a fresh database per test on that server
PG_SERVER = os.environ.get('PORTAL_TEST_POSTGRES', '')


def _run_pg(sql: str) -> None:
    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(f'{PG_SERVER}/postgres')
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # asyncio.run needs a thread without a running loop
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope='session')
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per run through `python main.py migrate`; each test gets a copy."""
    if PG_SERVER:
        name = f'lk_tpl_{uuid.uuid4().hex[:10]}'
        _run_pg(f'CREATE DATABASE {name}')
        url = f'{PG_SERVER}/{name}'
    else:
        url = f'sqlite://{tmp_path_factory.mktemp("db")}/template.sqlite3'
    env = {**os.environ, 'PORTAL_DATABASE_URL': url, 'PORTAL_DEMO': 'true'}
    subprocess.run([sys.executable, 'main.py', 'migrate'], cwd=ROOT, env=env, check=True)
    yield url
    if PG_SERVER:
        _run_pg(f'DROP DATABASE IF EXISTS {url.rsplit("/", 1)[1]} WITH (FORCE)')


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    if PG_SERVER:
        name = f'lk_t_{uuid.uuid4().hex[:12]}'
        _run_pg(f'CREATE DATABASE {name} TEMPLATE {database_template.rsplit("/", 1)[1]}')
        yield f'{PG_SERVER}/{name}'
        _run_pg(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')
    else:
        path = tmp_path / 'portal.sqlite3'
        shutil.copy(database_template.removeprefix('sqlite://'), path)
        yield f'sqlite://{path}'


@pytest.fixture(scope='session')
def smtp_server() -> Iterator[Mailbox]:
    mailbox, stop = start_smtp_server()
    yield mailbox
    stop()


@pytest.fixture(scope='session')
def sms_server() -> Iterator[SmsInbox]:
    inbox, stop = start_sms_server()
    yield inbox
    stop()


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Mailbox:
    smtp_server.clear()
    return smtp_server


@pytest.fixture
def sms(sms_server: SmsInbox) -> SmsInbox:
    sms_server.clear()
    return sms_server


@pytest.fixture(autouse=True)
def portal_env(monkeypatch: pytest.MonkeyPatch, database_url: str, mailbox: Mailbox, sms: SmsInbox) -> config.Settings:
    """Settings as an operator would give them, pointing at this test's database, SMTP server and SMS webhook."""
    for key in list(os.environ):
        if key.startswith('PORTAL_') and key != 'PORTAL_TEST_POSTGRES':
            monkeypatch.delenv(key)
    env = {
        'PORTAL_DATABASE_URL': database_url,
        'PORTAL_STORAGE_SECRET': 'test-secret-not-for-production',
        'PORTAL_BASE_URL': 'http://portal.test',
        'PORTAL_BRAND_NAME': 'ТестЭнергоСбыт',
        'PORTAL_SMTP_HOST': '127.0.0.1',
        'PORTAL_SMTP_PORT': str(mailbox.port),
        'PORTAL_MAIL_FROM': 'portal@portal.test',
        'PORTAL_SMS_PROVIDER': 'webhook',
        'PORTAL_SMS_URL': sms.url,
        'PORTAL_OUTBOX_POLL_SECONDS': '0.05',
        'PORTAL_ENV_FILE': '',
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT)
    return config.load()


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    fake = FakeClock()
    clock.set_clock(fake)
    yield fake
    clock.set_clock(None)


@pytest.fixture
async def db(portal_env: config.Settings) -> AsyncIterator[None]:
    """The test's database opened in this process, for service tests."""
    from services.db import close_database, open_database

    await open_database()
    yield
    await close_database()
