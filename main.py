"""Lichny Kabinet: the composition root. It wires the portal together: settings, the database and the background
workers in the server's lifespan, the outbox plug-ins, middleware and pages; `cli/` is the operator's command line.

`python main.py` serves the portal; `python main.py --help` lists the other commands.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from services import config

log = logging.getLogger('portal')


def install_plugins() -> None:
    """What the outbox needs to deliver every kind of message it holds: the e-bill's PDF and its outcome hooks."""
    from services.billing import bounces
    from services.messaging import outbox

    outbox.install(bounces.outbox_plugin())


def build_app() -> None:
    """Register pages, middleware and the database/worker lifespan on NiceGUI's app."""
    from nicegui import app

    import pages
    from pages.shell.brand import LogoHeaders, bind_brand
    from pages.shell.errors import bind_error_pages
    from pages.shell.handover import bind_handover
    from pages.shell.middleware import (
        ClientAddressMiddleware,
        SecurityHeadersMiddleware,
        SessionMiddleware,
        bind_socket_origins,
    )
    from pages.shell.probes import RequestMetricsMiddleware, bind_probes
    from services.billing import scheduler
    from services.db import close_database, open_database
    from services.identity import housekeeping
    from services.messaging import outbox
    from services.readings.scheduler import ReminderScheduler

    install_plugins()
    original = getattr(app.router.lifespan_context, 'portal_original', app.router.lifespan_context)
    running = False

    @asynccontextmanager
    async def database_and_workers() -> AsyncIterator[None]:
        nonlocal running
        # the database must be open before the first request: NiceGUI does not await on_startup handlers
        await open_database()
        running = True
        worker, housekeeper, bills = outbox.OutboxWorker(), housekeeping.Housekeeper(), scheduler.BillScheduler()
        reminders = ReminderScheduler()
        worker.start()
        housekeeper.start()
        bills.start()
        reminders.start()
        try:
            yield
        finally:
            await reminders.stop()
            await bills.stop()
            await housekeeper.stop()
            await worker.stop()
            await close_database()
            running = False

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        # Entered again while it runs (NiceGUI's `create_user` test fixture does), it opens nothing: a second
        # database init would drop the connections the first workers hold without closing them, and their threads
        # would keep the process from exiting.
        async with nullcontext() if running else database_and_workers(), original(asgi_app) as state:
            yield state

    lifespan.portal_original = original  # type: ignore[attr-defined]
    app.router.lifespan_context = lifespan
    app.add_middleware(SessionMiddleware)
    app.add_middleware(LogoHeaders)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(ClientAddressMiddleware)  # the last added runs first: every other one sees the customer's IP
    bind_socket_origins()
    bind_brand()
    bind_handover()
    bind_probes()
    pages.bind_pages()
    bind_error_pages()


#: seconds a page waits for its tab's socket to come back (see `serve`)
RECONNECT_SECONDS = 10.0


def serve() -> None:
    settings = config.settings
    if settings.redis_url:
        # NiceGUI reads this when it is first imported: several processes then share browser storage
        os.environ.setdefault('NICEGUI_REDIS_URL', settings.redis_url)
    from nicegui import ui

    from services.gc_runtime import tune_gc

    build_app()
    tune_gc(log_pauses=settings.gc_log)
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
        # uvicorn would trust X-Forwarded-For from any loopback peer; ClientAddressMiddleware decides instead
        proxy_headers=False,
        # No permessage-deflate on the page sockets: browsers ask for it and uvicorn would keep a zlib compressor and
        # decompressor per open tab, ~140 KiB each for the whole visit (a third of the memory one customer may cost,
        # bench/capacity.py). What the socket carries is small JSON updates and the bill PDFs, which are compressed
        # already; the page itself comes over HTTP, gzipped as before.
        ws_per_message_deflate=False,
        # A page whose socket drops is kept this long for the tab to come back (NiceGUI's default: 3 s): a phone that
        # puts the tab away while the customer reads the SMS code comes back to what was typed, not to a reloaded page.
        # Engine.IO pings each tab every 0.8 × this (at least 4 s): every 8 s instead of every 4, half the wake-ups of
        # an idle tab (docs/operator.md «Capacity of one process»).
        reconnect_timeout=RECONNECT_SECONDS,
        # JSON logs: uvicorn's own loggers then go through the root handler (cli/database.py) instead of its text ones
        **({'log_config': None} if settings.log_format == 'json' else {}),
    )


if os.environ.get('NICEGUI_USER_SIMULATION'):
    # NiceGUI's `user` test fixture runs this file as __main__ with pytest's argv
    config.load()
    serve()
elif __name__ == '__main__':  # not in worker processes (`send-bills` builds emails in spawned ones)
    import cli

    sys.exit(cli.main(sys.argv[1:], serve=serve, install_plugins=install_plugins))
