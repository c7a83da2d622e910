"""`backup FILE` and `restore FILE`: the database copied out while the portal serves, and copied back with the portal
stopped (SQLite); for PostgreSQL the pg_dump and pg_restore commands to run."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from services import backup, config
from services.texts import t

#: the exit code of a command that did nothing but tell the operator what to run instead (PostgreSQL)
NOT_DONE = 2


def add_parsers(sub: argparse._SubParsersAction) -> None:
    for name, run in (('backup', _backup), ('restore', _restore)):
        command = sub.add_parser(name, help=t(f'cli.help.{name}'))
        command.add_argument('file', type=Path, help=t(f'cli.help.{name}_file'))
        command.add_argument('--force', action='store_true', help=t(f'cli.help.{name}_force'))
        command.set_defaults(func=run)


def _backup(args: argparse.Namespace) -> int:
    database = backup.sqlite_file(config.settings.database_url)
    if database is None:
        print(t('cli.backup.postgres'))
        print(f'  {backup.postgres_commands(config.settings.database_url, args.file).backup}')
        return NOT_DONE
    try:
        copy = backup.backup_sqlite(database, args.file, force=args.force)
    except backup.BackupError as refusal:
        return _refused(refusal, exists='cli.backup.exists')
    print(t('cli.backup.done', path=copy.path, size=_kilobytes(copy.size)))
    return 0


def _restore(args: argparse.Namespace) -> int:
    database = backup.sqlite_file(config.settings.database_url)
    if database is None:
        print(t('cli.restore.postgres'))
        print(f'  {backup.postgres_commands(config.settings.database_url, args.file).restore}')
        return NOT_DONE
    try:
        copy = backup.restore_sqlite(database, args.file, force=args.force)
    except backup.BackupError as refusal:
        return _refused(refusal, exists='cli.restore.kept_exists')
    print(t('cli.restore.done', path=copy.path, source=args.file, size=_kilobytes(copy.size)))
    if copy.previous is not None:
        print(t('cli.restore.previous', path=copy.previous))
    print(t('cli.restore.next'))
    return 0


def _refused(refusal: backup.BackupError, *, exists: str) -> int:
    keys = {
        backup.FileExists: exists,
        backup.NoDatabase: 'cli.backup.no_database',
        backup.DatabaseInUse: 'cli.restore.in_use',
    }
    key = keys.get(type(refusal), f'cli.restore.invalid.{refusal.reason}')
    print(t(key, path=refusal.path), file=sys.stderr)
    return 1


def _kilobytes(size: int) -> int:
    return math.ceil(size / 1024)
