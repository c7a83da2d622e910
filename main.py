"""Lichny Kabinet: composition root and the operator's command line.

`python main.py` serves the portal; `python main.py --help` lists the other commands.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from services import config
from services.texts import t

log = logging.getLogger('portal')


def _setup_logging() -> None:
    logging.basicConfig(
        level=config.settings.log_level.upper(),
        format='%(asctime)s %(levelname)s %(name)s: %(message)s',
    )


def build_app() -> None:
    """Register pages, middleware and the database/worker lifespan on NiceGUI's app."""
    from nicegui import app

    import pages
    from pages.brand import bind_brand
    from pages.errors import bind_error_pages
    from pages.middleware import SessionMiddleware
    from services import dispatch, housekeeping, outbox
    from services.db import close_database, open_database

    original = getattr(app.router.lifespan_context, 'portal_original', app.router.lifespan_context)

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        # the database must be open before the first request: NiceGUI does not await on_startup handlers
        await open_database()
        worker, housekeeper, bills = outbox.OutboxWorker(), housekeeping.Housekeeper(), dispatch.BillScheduler()
        worker.start()
        housekeeper.start()
        bills.start()
        try:
            async with original(asgi_app) as state:
                yield state
        finally:
            await bills.stop()
            await housekeeper.stop()
            await worker.stop()
            await close_database()

    lifespan.portal_original = original  # type: ignore[attr-defined]
    app.router.lifespan_context = lifespan
    app.add_middleware(SessionMiddleware)
    bind_brand()
    pages.bind_pages()
    bind_error_pages()


def serve() -> None:
    settings = config.settings
    if settings.redis_url:
        # NiceGUI reads this when it is first imported: several processes then share browser storage
        os.environ.setdefault('NICEGUI_REDIS_URL', settings.redis_url)
    from nicegui import ui

    build_app()
    if settings.demo:
        log.warning('DEMO MODE: console SMS, mail shown at %s/demo/mail — not for production', settings.base_url)
    ui.run(
        host=settings.host,
        port=settings.port,
        title=settings.brand_name,
        language='ru',
        storage_secret=settings.storage_secret,
        reload=False,
        show=False,
        show_welcome_message=False,
        favicon=settings.brand_logo or '⚡',
        session_middleware_kwargs={'https_only': settings.https},
    )


async def _with_database(job: Callable[[], Awaitable[int]]) -> int:
    from services.db import close_database, open_database

    await open_database()
    try:
        return await job()
    finally:
        await close_database()


def _cmd_migrate(_: argparse.Namespace) -> int:
    from services.db import migrate_database

    asyncio.run(migrate_database())
    print(t('cli.migrated'))
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from services import billing_import

    return asyncio.run(_with_database(lambda: billing_import.cli_import(args.files)))


def _cmd_demo(_: argparse.Namespace) -> int:
    from services import demo

    return asyncio.run(_with_database(demo.cli_demo))


def _cmd_outbox(args: argparse.Namespace) -> int:
    import services.dispatch  # noqa: F401 - registers what delivering a bill needs: its PDF and its outcome hooks
    from services import outbox

    return asyncio.run(_with_database(lambda: outbox.cli_outbox(args.action)))


def _cmd_send_bills(args: argparse.Namespace) -> int:
    from services import dispatch

    return asyncio.run(_with_database(lambda: dispatch.cli_send_bills(args.period, dry_run=args.dry_run)))


def _cmd_bills_status(args: argparse.Namespace) -> int:
    from services import dispatch

    return asyncio.run(_with_database(lambda: dispatch.cli_bills_status(args.period)))


def _cmd_cabinet(args: argparse.Namespace) -> int:
    from services import admin

    return asyncio.run(_with_database(lambda: admin.cli_cabinet(args.action, args.login)))


def _cmd_makemigrations(args: argparse.Namespace) -> int:
    # Tortoise's own migration tool, pointed at our config (developers only)
    from tortoise.cli.cli import main as tortoise_main

    sys.argv = ['tortoise', '-c', 'services.db.TORTOISE_ORM', 'makemigrations', '-n', args.name]
    tortoise_main()
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='python main.py',
        description=t('cli.description'),
    )
    sub = parser.add_subparsers(dest='command')
    sub.add_parser('serve', help='serve the portal (the default)').set_defaults(func=None)
    sub.add_parser('migrate', help='apply database migrations and exit').set_defaults(func=_cmd_migrate)
    imp = sub.add_parser('import', help='import billing CSVs: regions, accounts, payments, bills')
    imp.add_argument('files', nargs='+', help='CSV files (UTF-8, header row), e.g. data/regions.csv')
    imp.set_defaults(func=_cmd_import)
    sub.add_parser('demo', help='fill the database with demo billing data and print accounts to try').set_defaults(
        func=_cmd_demo
    )
    out = sub.add_parser('outbox', help='the mail/SMS outbox: status, deliver pending messages, or run the worker')
    out.add_argument('action', choices=['status', 'deliver', 'work'])
    out.set_defaults(func=_cmd_outbox)
    bills = sub.add_parser('send-bills', help='email subscribed accounts the bill of a period as PDF, then deliver')
    bills.add_argument('period', help='YYYY-MM')
    bills.add_argument('--dry-run', action='store_true', help='print what would be sent; write and send nothing')
    bills.set_defaults(func=_cmd_send_bills)
    status = sub.add_parser('bills-status', help='bill emails of a period: counts by state and the failures')
    status.add_argument('period', help='YYYY-MM')
    status.set_defaults(func=_cmd_bills_status)
    cab = sub.add_parser('cabinet', help='customer cabinets: show or unlock a login')
    cab.add_argument('action', choices=['show', 'unlock'])
    cab.add_argument('login')
    cab.set_defaults(func=_cmd_cabinet)
    mk = sub.add_parser('makemigrations', help='(developers) create a migration from model changes')
    mk.add_argument('name')
    mk.set_defaults(func=_cmd_makemigrations)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        config.load()
    except ValueError as error:
        # pydantic's report names the field and its input; the operator needs our sentence
        errors = error.errors() if hasattr(error, 'errors') else [{'msg': str(error)}]
        for problem in errors:
            print(t('cli.settings_error', error=problem['msg'].removeprefix('Value error, ')), file=sys.stderr)
        return 2
    _setup_logging()
    if args.command in (None, 'serve'):
        serve()
        return 0
    return args.func(args)


if os.environ.get('NICEGUI_USER_SIMULATION'):
    # NiceGUI's `user` test fixture runs this file as __main__ with pytest's argv
    config.load()
    serve()
elif __name__ == '__main__':  # not in worker processes (`send-bills` builds emails in spawned ones)
    sys.exit(main(sys.argv[1:]))
