"""Database set-up: Tortoise config from settings, migrations applied on start, one process at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

from models import MODEL_MODULES
from services import config

log = logging.getLogger(__name__)


#: SQLite in WAL mode (Tortoise's default) with commits that wait for the disk only at checkpoints: a killed process
#: loses nothing, a power cut may lose the last commits (SQLite's advice for WAL). Each commit waiting for fsync made
#: a 100,000-bill dispatch wait on the disk for every outcome. A `synchronous=...` in the URL wins.
SQLITE_SYNCHRONOUS = 'NORMAL'
#: the PostgreSQL advisory lock (a session lock, one key for the whole database) that migrating processes take turns on
MIGRATION_LOCK = 0x6C6B_6D69  # 'lkmi'


def tortoise_config(database_url: str | None = None) -> dict[str, Any]:
    url = database_url or config.settings.database_url
    if url.startswith('sqlite://') and 'synchronous=' not in url:
        url += ('&' if '?' in url else '?') + f'synchronous={SQLITE_SYNCHRONOUS}'
    return {
        'connections': {'default': url},
        'apps': {
            'models': {
                'models': MODEL_MODULES,
                'default_connection': 'default',
                'migrations': 'models.migrations',
            },
        },
        'use_tz': True,
        'timezone': 'UTC',
    }


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith('sqlite://') and ':memory:' not in url:
        Path(url.removeprefix('sqlite://').split('?')[0]).parent.mkdir(parents=True, exist_ok=True)


async def migrate_database(database_url: str | None = None) -> None:
    """Apply pending Tortoise migrations (creates the schema on an empty database). Processes starting together take
    turns: the first applies what is pending, the others wait for it and then find nothing to do. Without the lock
    two of them both create the first tables and one dies of a duplicate key."""
    cfg = tortoise_config(database_url)
    url = cfg['connections']['default']
    _ensure_sqlite_folder(url)
    async with _migration_lock(url):
        try:
            await migrate(config=cfg, progress=_log_applied)
        finally:
            # an open SQLite connection keeps its thread alive: a failed migration must still let the process exit
            await Tortoise.close_connections()


def _log_applied(event: str, app: str, name: str) -> None:
    if event == 'apply_done':
        log.info('migration applied: %s.%s', app, name)


@asynccontextmanager
async def _migration_lock(url: str) -> AsyncIterator[None]:
    """PostgreSQL: an advisory lock held on a connection of its own while migrating (freed when it closes, so a
    killed process frees it too). SQLite: an exclusive lock on a file beside the database (freed by the kernel)."""
    if url.startswith(('postgres://', 'asyncpg://', 'psycopg://')):
        import asyncpg

        credentials = expand_db_url(url)['credentials']
        keys = ('host', 'port', 'user', 'password', 'database', 'ssl')
        connection = await asyncpg.connect(**{key: credentials[key] for key in keys if key in credentials})
        try:
            await connection.execute('SELECT pg_advisory_lock($1)', MIGRATION_LOCK)
            yield
        finally:
            await connection.close()
    elif url.startswith('sqlite://') and ':memory:' not in url:
        import fcntl  # POSIX: the portal is served from Linux

        path = Path(url.removeprefix('sqlite://').split('?')[0])
        with (path.parent / f'{path.name}.migrate-lock').open('a') as lock:
            # polled rather than waited for in a thread: an executor thread would outlive the start-up (and keep a
            # process that only migrates from exiting promptly); a wait is rare and short
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.05)
            yield  # closing the file frees the lock
    else:
        yield


async def open_database(database_url: str | None = None) -> None:
    """Migrate, then connect for this process; the global fallback lets every task (pages, worker) see it."""
    await migrate_database(database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    log.info('database ready: %s', _safe_url(database_url or config.settings.database_url))


async def lock_until_commit(connection: BaseDBAsyncClient, name: str) -> None:
    """Serialise the transactions that take the same `name` (a PostgreSQL advisory lock, released at commit): for
    work that counts or adds rows no row lock covers. SQLite runs one write transaction at a time anyway."""
    if connection.capabilities.dialect == 'postgres':
        await connection.execute_query('SELECT pg_advisory_xact_lock(hashtext($1))', [name])


async def close_database() -> None:
    await connections.close_all()
    _reset_global_context()


def _reset_global_context() -> None:
    # Tortoise allows one global fallback context per process; the NiceGUI `user` test fixture
    # starts the app many times in one process, so the previous one is dropped on shutdown.
    from tortoise import context

    context._global_context = None
    context._current_context.set(None)


def _safe_url(url: str) -> str:
    if '@' in url:
        scheme, rest = url.split('://', 1)
        return f'{scheme}://***@{rest.split("@", 1)[1]}'
    return url


def __getattr__(name: str) -> Any:
    # `tortoise -c services.db.TORTOISE_ORM …` (python main.py makemigrations) reads the config from here
    if name == 'TORTOISE_ORM':
        return tortoise_config()
    raise AttributeError(name)
