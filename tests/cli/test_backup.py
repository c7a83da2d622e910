"""`python main.py backup FILE` and `restore FILE` as an operator runs them: a SQLite portal copied while it runs,
changed, put back, and its customer logs in again; what restore refuses; PostgreSQL's commands."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from models.cabinet import Cabinet
from services.db import close_database, open_database
from services.identity import auth
from tests.support.commands import run_main
from tests.support.factories import GOOD, make_cabinet

on_sqlite = pytest.mark.skipif(bool(os.environ.get('PORTAL_TEST_POSTGRES')), reason='a SQLite database file')


def database_file(url: str) -> Path:
    return Path(url.removeprefix('sqlite://'))


@on_sqlite
@pytest.mark.usefixtures('db')
async def test_a_backup_brings_back_the_cabinets_after_the_database_changed(tmp_path, database_url):
    await make_cabinet('ivanov', password=GOOD)
    copy = tmp_path / 'portal-backup.sqlite3'

    made = run_main('backup', str(copy))  # while this process has the database open, as a server would

    assert made.returncode == 0, made.stderr
    assert f'Копия базы данных записана: {copy} (' in made.stdout
    assert copy.stat().st_mode & 0o777 == 0o600
    await Cabinet.filter(login='ivanov').delete()
    await close_database()  # the portal is stopped

    restored = run_main('restore', str(copy))

    assert restored.returncode == 0, restored.stderr
    kept = database_file(database_url).with_name('portal.sqlite3.bak')
    assert f'База данных {database_file(database_url)} восстановлена из {copy}' in restored.stdout
    assert f'Прежняя база данных сохранена как {kept}.' in restored.stdout
    with sqlite3.connect(kept) as previous:
        assert previous.execute("SELECT count(*) FROM cabinet WHERE login = 'ivanov'").fetchone() == (0,)
    await open_database()
    try:
        cabinet, token = await auth.login('ivanov', GOOD, ip='203.0.113.1')
        assert cabinet.login == 'ivanov' and token
    finally:
        await close_database()  # opened in this test's context: the fixture's teardown would not reach it


@on_sqlite
async def test_a_backup_does_not_overwrite_a_file_unless_forced(tmp_path):
    existing = tmp_path / 'copy.sqlite3'
    existing.write_text('yesterday')

    refused = run_main('backup', str(existing), LANG='en_GB.UTF-8')
    assert refused.returncode == 1
    assert f'{existing} already exists: name another file or add --force to replace it.' in refused.stderr
    assert existing.read_text() == 'yesterday'

    forced = run_main('backup', str(existing), '--force', LANG='en_GB.UTF-8')
    assert forced.returncode == 0, forced.stderr
    assert existing.read_bytes().startswith(b'SQLite format 3\x00')


@on_sqlite
@pytest.mark.usefixtures('db')
async def test_restore_refuses_what_is_not_a_backup_of_this_portal(tmp_path, database_url):
    await make_cabinet('ivanov')
    await close_database()
    before = database_file(database_url).read_bytes()
    text = tmp_path / 'notes.txt'
    text.write_text('not a database')
    foreign = tmp_path / 'other.sqlite3'
    with sqlite3.connect(foreign) as other:
        other.execute('CREATE TABLE cabinet (id INTEGER)')

    for path, said in (
        (text, f'{text} — не база данных SQLite: ничего не изменено.'),
        (foreign, f'{foreign} — база данных SQLite, но не этого портала'),
        (tmp_path / 'missing.sqlite3', f'Файла {tmp_path / "missing.sqlite3"} нет.'),
    ):
        refused = run_main('restore', str(path))
        assert (refused.returncode, said in refused.stderr) == (1, True), refused.stderr

    assert database_file(database_url).read_bytes() == before
    assert not database_file(database_url).with_name('portal.sqlite3.bak').exists()


@on_sqlite
@pytest.mark.usefixtures('db')
async def test_restore_refuses_while_the_portal_has_the_database_open(tmp_path):
    copy = tmp_path / 'copy.sqlite3'
    assert run_main('backup', str(copy)).returncode == 0
    await make_cabinet('petrov')  # this process is the running portal

    refused = run_main('restore', str(copy))

    assert refused.returncode == 1
    assert 'открыта другим процессом: остановите портал' in refused.stderr
    assert await Cabinet.filter(login='petrov').exists()


@on_sqlite
@pytest.mark.usefixtures('db')
async def test_a_second_restore_keeps_the_first_bak_unless_forced(tmp_path, database_url):
    copy = tmp_path / 'copy.sqlite3'
    assert run_main('backup', str(copy)).returncode == 0
    await close_database()
    assert run_main('restore', str(copy)).returncode == 0

    again = run_main('restore', str(copy), LANG='en_GB.UTF-8')
    assert again.returncode == 1
    kept = database_file(database_url).with_name('portal.sqlite3.bak')
    assert f'{kept} holds the database an earlier restore replaced: move it elsewhere or add --force' in again.stderr
    assert run_main('restore', str(copy), '--force').returncode == 0


def test_postgres_gets_the_commands_without_its_password(tmp_path):
    url = 'postgres://portal:s3cret@db.example:5433/lk'
    dump = run_main('backup', str(tmp_path / 'lk.dump'), PORTAL_DATABASE_URL=url, LANG='en_GB.UTF-8')
    restore = run_main('restore', str(tmp_path / 'lk.dump'), PORTAL_DATABASE_URL=url, LANG='en_GB.UTF-8')

    assert (dump.returncode, restore.returncode) == (2, 2)
    assert (
        f'pg_dump --format=custom --file={tmp_path / "lk.dump"} --host=db.example --port=5433 --username=portal lk'
        in dump.stdout
    )
    assert (
        'pg_restore --clean --if-exists --no-owner --single-transaction --host=db.example --port=5433 '
        in restore.stdout
    )
    assert '--dbname=lk' in restore.stdout and 'stop the portal' in restore.stdout
    assert 's3cret' not in dump.stdout + dump.stderr + restore.stdout + restore.stderr
