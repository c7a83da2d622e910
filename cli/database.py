"""`migrate`, `makemigrations` and what every command needs: logging and an open database around its work."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from services import config
from services.texts import t

#: control characters as escapes: a log record's message stays on its one line
_ESCAPES = {code: f'\\x{code:02x}' for code in (*range(0x20), 0x7F) if code != 0x09} | {
    0x2028: '\\u2028',
    0x2029: '\\u2029',
}


class OneLineFormatter(logging.Formatter):
    """A customer's value with a CR or LF in it (a login, an address) cannot forge log lines for whoever reads or
    parses the log: the message is escaped, and only a traceback after it keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).translate(_ESCAPES)


def log_formatter(kind: str) -> logging.Formatter:
    """`text`: one line per record; `json`: one JSON object per line (timestamp, level, logger, message, exc_info when
    there is a traceback) for a log collector, where JSON's own escaping keeps each record on its line."""
    if kind == 'json':
        from pythonjsonlogger.core import RESERVED_ATTRS
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            ['levelname', 'name', 'message'],
            rename_fields={'levelname': 'level', 'name': 'logger'},
            timestamp=True,
            # uvicorn repeats its message with terminal colours in `color_message`
            reserved_attrs=[*RESERVED_ATTRS, 'color_message'],
            json_ensure_ascii=False,
        )
    return OneLineFormatter('%(asctime)s %(levelname)s %(name)s: %(message)s')


def setup_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(log_formatter(config.settings.log_format))
    logging.basicConfig(level=config.settings.log_level.upper(), handlers=[handler])


def run(job: Callable[[], Awaitable[int]]) -> int:
    """Run an async command with the database open, and return its exit code."""
    return asyncio.run(_with_database(job))


async def _with_database(job: Callable[[], Awaitable[int]]) -> int:
    from services.db import close_database, open_database

    await open_database()
    try:
        return await job()
    finally:
        await close_database()


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sub.add_parser('migrate', help=t('cli.help.migrate')).set_defaults(func=_migrate)
    make = sub.add_parser('makemigrations', help=t('cli.help.makemigrations'))
    make.add_argument('name', help=t('cli.help.migration_name'))
    make.set_defaults(func=_makemigrations)


def _migrate(_: argparse.Namespace) -> int:
    from services.db import migrate_database

    asyncio.run(migrate_database())
    print(t('cli.migrated'))
    return 0


def _makemigrations(args: argparse.Namespace) -> int:
    # Tortoise's own migration tool, pointed at our config (developers only)
    from tortoise.cli.cli import main as tortoise_main

    sys.argv = ['tortoise', '-c', 'services.db.TORTOISE_ORM', 'makemigrations', '-n', args.name]
    tortoise_main()
    return 0
