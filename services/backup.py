"""`backup` and `restore` of a SQLite database: an online, consistent copy (VACUUM INTO) and its return into place,
checked, atomic, the previous database kept beside it; for PostgreSQL, the pg_dump and pg_restore commands to run."""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: the table Tortoise records applied migrations in: a database without it is not this portal's
MIGRATIONS_TABLE = 'tortoise_migrations'
SQLITE_HEADER = b'SQLite format 3\x00'


class BackupError(Exception):
    """Why a backup or restore was refused; the command line says it in the operator's language."""

    def __init__(self, path: Path, reason: str = '') -> None:
        super().__init__(f'{path}: {reason}')
        self.path = path
        self.reason = reason


class FileExists(BackupError):
    """The file would be overwritten (the backup's target, or an earlier restore's `.bak`)."""


class NoDatabase(BackupError):
    """The configured SQLite file does not exist yet."""


class NotPortalBackup(BackupError):
    """The file to restore is no database of this portal; `reason`: missing, not_sqlite, damaged or not_portal."""


class DatabaseInUse(BackupError):
    """Another process has the database open (its write-ahead log stays after ours closes): a server runs."""


@dataclass(frozen=True)
class Copy:
    path: Path
    size: int
    #: restore: where the database it replaced was kept (None: there was none)
    previous: Path | None = None


def sqlite_file(database_url: str) -> Path | None:
    """The database file of a `sqlite://` URL; None for PostgreSQL (or an in-memory database)."""
    if not database_url.startswith('sqlite://') or ':memory:' in database_url:
        return None
    return Path(database_url.removeprefix('sqlite://').split('?')[0])


def backup_sqlite(database: Path, target: Path, *, force: bool = False) -> Copy:
    """A consistent copy of the database as it is now, while the portal serves (readers and writers go on)."""
    if target.exists() and not force:
        raise FileExists(target)
    if not database.is_file():
        raise NoDatabase(database)
    with _part_beside(target) as part, contextlib.closing(sqlite3.connect(_read_only(database), uri=True)) as source:
        source.execute('VACUUM INTO ?', (str(part),))
        part.chmod(0o600)  # the customers' personal data: the owner's only
        os.replace(part, target)  # a killed backup leaves no half a file under the name
    return Copy(target, target.stat().st_size)


def restore_sqlite(database: Path, backup: Path, *, force: bool = False) -> Copy:
    """Put a backup in the database's place: checked first, swapped in by a rename; the database it replaces is kept
    as `<database>.bak` (an existing `.bak` is replaced only with `force`). Refused while another process has the
    database open."""
    check_backup(backup)
    kept = database.with_name(f'{database.name}.bak')
    if database.exists() and kept.exists() and not force:
        raise FileExists(kept)
    with _part_beside(database) as part:
        with (
            contextlib.closing(sqlite3.connect(_read_only(backup), uri=True)) as source,
            contextlib.closing(sqlite3.connect(part)) as copy,
        ):
            source.backup(copy)
        part.chmod(0o600)
        if database.exists():
            _settle(database)
            shutil.copymode(database, part)
            kept.unlink(missing_ok=True)
            _keep(database, kept)
        os.replace(part, database)
    return Copy(database, database.stat().st_size, kept if kept.exists() else None)


def check_backup(path: Path) -> None:
    """Refuse what is not a whole SQLite database with this portal's migrations table."""
    if not path.is_file():
        raise NotPortalBackup(path, 'missing')
    with path.open('rb') as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise NotPortalBackup(path, 'not_sqlite')
    try:
        with contextlib.closing(sqlite3.connect(_read_only(path), uri=True)) as backup:
            if backup.execute('PRAGMA quick_check').fetchone()[0] != 'ok':
                raise NotPortalBackup(path, 'damaged')
            found = backup.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MIGRATIONS_TABLE])
            if found.fetchone() is None:
                raise NotPortalBackup(path, 'not_portal')
    except sqlite3.DatabaseError:
        raise NotPortalBackup(path, 'damaged') from None


def _settle(database: Path) -> None:
    """Write the database's log into its file, so the file alone is the whole database (what `.bak` keeps and what a
    stale log would otherwise be replayed onto after the swap). SQLite removes the log when its last connection
    closes: if it stays, another process (the server, a command) still has the database open."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    if database.with_name(f'{database.name}-wal').exists():
        raise DatabaseInUse(database)


def _keep(database: Path, kept: Path) -> None:
    try:
        os.link(database, kept)  # the same bytes under a second name, until the rename replaces the first
    except OSError:
        shutil.copy2(database, kept)  # a file system without hard links


@contextlib.contextmanager
def _part_beside(path: Path) -> Iterator[Path]:
    """A temporary file in the target's folder (so the final rename stays on one file system), gone afterwards."""
    part = path.with_name(f'.{path.name}.{secrets.token_hex(4)}.part')
    try:
        yield part
    finally:
        part.unlink(missing_ok=True)


def _read_only(path: Path) -> str:
    return f'{path.resolve().as_uri()}?mode=ro'


@dataclass(frozen=True)
class PostgresCommands:
    backup: str
    restore: str


def postgres_commands(database_url: str, file: Path) -> PostgresCommands:
    """pg_dump and pg_restore for the configured database, without its password (PGPASSWORD or ~/.pgpass give it)."""
    url = urlsplit(database_url)
    target = [f'--host={url.hostname or "localhost"}', f'--port={url.port or 5432}']
    if url.username:
        target.append(f'--username={unquote(url.username)}')
    name = unquote(url.path.lstrip('/'))
    # --clean --if-exists: the tables there are replaced; --single-transaction: a failed restore changes nothing
    restore = [
        'pg_restore',
        '--clean',
        '--if-exists',
        '--no-owner',
        '--single-transaction',
        *target,
        f'--dbname={name}',
    ]
    return PostgresCommands(
        backup=shlex.join(['pg_dump', '--format=custom', f'--file={file}', *target, name]),
        restore=shlex.join([*restore, str(file)]),
    )
