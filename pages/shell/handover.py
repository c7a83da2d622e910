"""The HTTP responses that set and clear a session cookie: a login or a logout happens in a socket event, which cannot
touch cookies, so it sends the tab here (pages/session.py, `hand_over_session`). Customers and staff each have their
own pair of links and their own cookie (`SessionKind`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app
from starlette.responses import Response

from pages.session import CUSTOMER, STAFF, SessionKind, claim_handover
from services import config

log = logging.getLogger('portal.session')


def bind_handover() -> None:
    for kind in (CUSTOMER, STAFF):
        app.add_api_route(kind.start_path, _starting(kind), methods=['GET'], include_in_schema=False)
        app.add_api_route(kind.end_path, _ending(kind), methods=['GET'], include_in_schema=False)


def _starting(kind: SessionKind) -> Callable[[Request, str], Awaitable[Response]]:
    async def start(request: Request, key: str = '') -> Response:
        return await start_session(kind, request, key)

    return start


def _ending(kind: SessionKind) -> Callable[[Request], Awaitable[Response]]:
    async def end(request: Request) -> Response:
        return await end_session(kind, request)

    return end


async def start_session(kind: SessionKind, request: Request, key: str = '') -> Response:
    """The cookie of a fresh login, then on to where the login was going. A session of this kind the browser still
    had ends: logging in over it leaves nothing of it usable."""
    claimed = claim_handover(key, kind)
    if claimed is None:
        # used already (a reload of the link) or never this browser's: the cookie it has decides where it goes
        signed_in = await kind.resolve(kind.request_token(request)) is not None
        if not signed_in:
            log.info('session hand-over refused: no such link in this browser, used already or too old')
        return _no_store(RedirectResponse(kind.home_path if signed_in else kind.login_path, status_code=303))
    token, next_path = claimed
    if (old := kind.request_token(request)) and old != token:
        await kind.end(old)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        kind.cookie_name(),
        token,
        max_age=int(kind.lifetime.total_seconds()),
        path='/',
        secure=config.settings.https,
        httponly=True,
        samesite='lax',  # links from our emails (a top-level GET) still arrive signed in
    )
    return _no_store(response)


async def end_session(kind: SessionKind, request: Request) -> Response:
    """After a logout (the session is already ended): the cookie goes too. A link or form on another site (a GET the
    Lax cookie still goes with) must not log anyone out: browsers name such a request in Sec-Fetch-Site."""
    if request.headers.get('sec-fetch-site', 'same-origin') not in ('same-origin', 'none'):
        log.info('logout from another site ignored (Sec-Fetch-Site: %s)', request.headers['sec-fetch-site'])
        return _no_store(RedirectResponse(kind.home_path, status_code=303))
    await kind.end(kind.request_token(request) or None)
    response = RedirectResponse(kind.login_path, status_code=303)
    response.delete_cookie(kind.cookie_name(), path='/', secure=config.settings.https, httponly=True)
    return _no_store(response)


def _no_store(response: Response) -> Response:
    response.headers['Cache-Control'] = 'no-store'
    return response
