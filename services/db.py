"""Database set-up: Tortoise config from settings, migrations applied on start."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from models import MODEL_MODULES
from services import config

log = logging.getLogger(__name__)


#: SQLite in WAL mode (Tortoise's default) with commits that wait for the disk only at checkpoints: a killed process
#: loses nothing, a power cut may lose the last commits (SQLite's advice for WAL). Each commit waiting for fsync made
#: a 100,000-bill dispatch wait on the disk for every outcome. A `synchronous=...` in the URL wins.
SQLITE_SYNCHRONOUS = 'NORMAL'


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
    """Apply pending Tortoise migrations (creates the schema on an empty database)."""
    cfg = tortoise_config(database_url)
    _ensure_sqlite_folder(cfg['connections']['default'])
    try:
        await migrate(config=cfg)
    finally:
        # an open SQLite connection keeps its thread alive: a failed migration must still let the process exit
        await Tortoise.close_connections()


async def open_database(database_url: str | None = None) -> None:
    """Migrate, then connect for this process; the global fallback lets every task (pages, worker) see it."""
    await migrate_database(database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    log.info('database ready: %s', _safe_url(database_url or config.settings.database_url))


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
