"""Empty databases for tests that watch the portal create its schema (the suite's own are migrated once and copied):
a new SQLite file, or a new database on the suite's PostgreSQL server (PORTAL_TEST_POSTGRES)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

#: e.g. postgres://postgres@127.0.0.1:5432 — the PostgreSQL pass of the suite (scripts/test.sh)
PG_SERVER = os.environ.get('PORTAL_TEST_POSTGRES', '')


def run_on_server(sql: str, server: str = PG_SERVER) -> None:
    """One statement on the PostgreSQL server's maintenance database (CREATE/DROP DATABASE)."""

    async def run() -> None:
        import asyncpg

        connection = await asyncpg.connect(f'{server}/postgres')
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    # asyncio.run needs a thread without a running loop
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables yet, dropped afterwards."""
    if not PG_SERVER:
        yield f'sqlite://{tmp_path}/empty.sqlite3'
        return
    name = f'lk_empty_{uuid.uuid4().hex[:12]}'
    run_on_server(f'CREATE DATABASE {name}')
    try:
        yield f'{PG_SERVER}/{name}'
    finally:
        run_on_server(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')
