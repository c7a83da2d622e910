"""Friendly error pages in the portal's frame: 404 for unknown paths, 500 when building a page fails.

NiceGUI's own pages say "This page doesn't exist." in English, outside our header; these replace them."""

from __future__ import annotations

import logging
import secrets

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import PlainTextResponse
from nicegui import Client, app, ui
from starlette.exceptions import HTTPException
from starlette.responses import Response

from pages.shell.frame import frame
from services.limits import shorten
from services.texts import t

log = logging.getLogger('portal.pages')


def bind_error_pages() -> None:
    """Once per app, before serving (exception handlers are fixed when the first request builds the stack)."""
    app.on_page_exception(server_error_page)
    # both replace NiceGUI's handlers of the same keys
    app.exception_handlers[404] = not_found
    app.exception_handlers[Exception] = unhandled


async def not_found(request: Request, exception: Exception) -> Response:
    endpoint = request.scope.get('endpoint')
    page = endpoint is None or endpoint is app or request.scope.get('nicegui_page_path')
    if not page and isinstance(exception, HTTPException):
        # an API or file route that said 404 (a missing static file): a plain answer, as NiceGUI gives
        return await http_exception_handler(request, exception)
    return not_found_response(request)


def not_found_response(request: Request) -> Response:
    """The 404 page an unknown path gets: also what a route answers that must not reveal it exists (/metrics)."""
    # bots probe for /wp-login.php all day: not a warning
    log.info('not found: %s', shorten(request.url.path))
    with Client(ui.page(''), request=request) as client:
        not_found_page()
    return client.build_response(request, 404)


def not_found_page() -> None:
    with frame(t('title.not_found')):
        ui.label(t('error.not_found')).mark('not-found')
        ui.link(t('link.to_start'), '/')


def server_error_page(exception: Exception) -> None:
    """Called by NiceGUI when a page function raised; what this builds is served with status 500."""
    reference = secrets.token_hex(4)
    request = ui.context.client.request
    # NiceGUI logs the traceback right after this line; the reference ties it to what the customer saw
    log.error(
        'page %s failed, error reference %s (the customer sees it): %s: %s; traceback follows',
        shorten(request.url.path),
        reference,
        type(exception).__name__,
        shorten(exception),
    )
    with frame(t('title.server_error')):
        ui.label(t('error.server')).props('role=alert').mark('server-error')
        ui.label(t('error.reference', reference=reference)).classes('text-sm').mark('error-reference')
        ui.link(t('link.to_start'), '/')


async def unhandled(request: Request, exception: Exception) -> Response:
    """Anything else that escaped a route. A failing page was already answered by `server_error_page`
    (NiceGUI then calls this too, in the background): nothing more to do for it."""
    if request.scope.get('nicegui_page_path'):
        return PlainTextResponse('Internal Server Error', status_code=500)
    raise exception  # FastAPI's own plain "Internal Server Error", as NiceGUI does
