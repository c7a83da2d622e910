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
from pathlib import Path

import pytest

from services import clock, config
from tests.support.clock import FakeClock
from tests.support.paths import ROOT
from tests.support.servers import Mailbox, SmsInbox, start_sms_server, start_smtp_server

# the running portal and Chromium, for the browser tests and the attacks that need a server (tests/security/)
pytest_plugins = ['tests.support.browser_fixtures']

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


@pytest.fixture
def atom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('PORTAL_PROFILE', 'atom')


@pytest.fixture
def volga(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('PORTAL_PROFILE', 'volga')


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    fake = FakeClock()
    clock.set_clock(fake)
    yield fake
    clock.set_clock(None)


@pytest.fixture
async def db(portal_env: config.Settings, request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """The test's database opened in this process, for service tests, with the outbox plug-ins main.py installs."""
    if 'user' in request.fixturenames:
        # a story's app opens the database with its workers; a second open drops the pool they are using
        raise pytest.UsageError('a page story has its database from the `user` fixture: do not ask for `db` too')
    from services.billing import bounces
    from services.db import close_database, open_database
    from services.messaging import outbox

    outbox.install(bounces.outbox_plugin())
    await open_database()
    yield
    await close_database()


#: how the run ended, for pytest_unconfigure
_exit_status = 0
#: the test each thread was first seen after, for pytest_unconfigure to name
_thread_origin: dict[int, str] = {}


@pytest.fixture(autouse=True)
def _note_new_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    import threading

    for thread in threading.enumerate():
        if thread.ident is not None:
            _thread_origin.setdefault(thread.ident, request.node.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """A test that leaves a database connection open (aiosqlite's thread is no daemon) would keep pytest from exiting,
    and a CI run would hang until it is killed: name the threads, then end the process with the run's own status.
    Thread pools' workers are left alone: Python joins them at exit."""
    import concurrent.futures.thread
    import threading

    waiting = [
        thread
        for thread in threading.enumerate()
        if not thread.daemon
        and thread is not threading.main_thread()
        and getattr(thread, '_target', None) is not concurrent.futures.thread._worker
    ]
    for thread in waiting:
        thread.join(timeout=5)  # one still closing down may end by itself
    left = [
        f'{thread.name} (started by {_thread_origin.get(thread.ident or 0, "?")})'
        for thread in waiting
        if thread.is_alive()
    ]
    if left:
        print(f'\nthreads left running after the tests (a connection not closed?): {", ".join(left)}', file=sys.stderr)
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(_exit_status)
