"""How the portal opens its database."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest
from tortoise import connections

from services.db import close_database, open_database
from tests.support.paths import ROOT


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


def test_no_model_comment_would_split_a_migration():
    """Tortoise turns a model's docstring and `#:` comments into SQL comments, and its SQLite backend splits a
    migration's SQL at every ';' — one in a comment ends a CREATE TABLE halfway («incomplete input»)."""
    found = []
    for path in sorted((ROOT / 'models').glob('*.py')):
        source = path.read_text(encoding='utf-8')
        found += [
            f'{path.name}:{n}'
            for n, line in enumerate(source.splitlines(), 1)
            if line.strip().startswith('#:') and ';' in line
        ]
        found += [
            f'{path.name}:{node.lineno}'
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ClassDef) and ';' in (ast.get_docstring(node) or '')
        ]
    assert found == []


def test_the_models_and_their_migrations_agree(tmp_path):
    """A model changed without its migration (a field, an index, a description) would leave the database behind the
    code: `makemigrations` finds nothing to write."""
    env = {
        **os.environ,
        'PORTAL_DEMO': 'true',
        'PORTAL_DATABASE_URL': f'sqlite://{tmp_path}/portal.sqlite3',
        'PORTAL_ENV_FILE': '',
    }
    subprocess.run([sys.executable, 'main.py', 'migrate'], cwd=ROOT, env=env, check=True, capture_output=True)
    before = set((ROOT / 'models' / 'migrations').iterdir())
    made = subprocess.run(
        [sys.executable, 'main.py', 'makemigrations', 'unexpected'], cwd=ROOT, env=env, capture_output=True, text=True
    )
    written = set((ROOT / 'models' / 'migrations').iterdir()) - before
    for path in written:  # never leave it in the tree
        path.unlink()
    assert made.returncode == 0, made.stderr[-2000:]
    assert not written, f'the models differ from the migrations: {made.stdout[-2000:]}'
