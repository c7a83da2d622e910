"""How the portal opens its database."""

from __future__ import annotations

import pytest
from tortoise import connections

from services.db import close_database, open_database


@pytest.mark.parametrize(('query', 'level'), [('', 1), ('?synchronous=FULL', 2)])
async def test_sqlite_commits_wait_for_the_disk_only_at_checkpoints_unless_the_url_asks_for_more(
    portal_env, tmp_path, query, level
):
    await open_database(f'sqlite://{tmp_path}/portal.sqlite3{query}')
    try:
        [journal] = await connections.get('default').execute_query_dict('PRAGMA journal_mode')
        [synchronous] = await connections.get('default').execute_query_dict('PRAGMA synchronous')
    finally:
        await close_database()
    assert journal['journal_mode'] == 'wal'  # a killed process loses nothing in WAL mode, whatever `synchronous` says
    assert synchronous['synchronous'] == level  # 1 NORMAL, 2 FULL
