"""The two HTTP responses that set and clear the session cookie: a login or a logout happens in a socket event, which
cannot touch cookies, so it sends the tab here (pages/session.py, `hand_over_session`)."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app
from starlette.responses import Response

from pages.session import claim_handover, request_token, session_cookie_name
from services import config
from services.identity import sessions

log = logging.getLogger('portal.session')

START = '/session/start'
END = '/session/end'


def bind_handover() -> None:
    app.add_api_route(START, start_session, methods=['GET'], include_in_schema=False)
    app.add_api_route(END, end_session, methods=['GET'], include_in_schema=False)


async def start_session(request: Request, key: str = '') -> Response:
    """The cookie of a fresh login, then on to where the login was going. A session this browser still had ends:
    logging in over it leaves nothing of it usable."""
    claimed = claim_handover(key)
    if claimed is None:
        # used already (a reload of the link) or never this browser's: the cookie it has decides where it goes
        signed_in = await sessions.resolve(request_token(request)) is not None
        if not signed_in:
            log.info('session hand-over refused: no such link in this browser, used already or too old')
        return _no_store(RedirectResponse('/' if signed_in else '/login', status_code=303))
    token, next_path = claimed
    if (old := request_token(request)) and old != token:
        await sessions.end(old)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        session_cookie_name(),
        token,
        max_age=int(sessions.ABSOLUTE.total_seconds()),
        path='/',
        secure=config.settings.https,
        httponly=True,
        samesite='lax',  # links from our emails (a top-level GET) still arrive signed in
    )
    return _no_store(response)


async def end_session(request: Request) -> Response:
    """After a logout (the session is already ended): the cookie goes too. A link or form on another site (a GET the
    Lax cookie still goes with) must not log the customer out: browsers name such a request in Sec-Fetch-Site."""
    if request.headers.get('sec-fetch-site', 'same-origin') not in ('same-origin', 'none'):
        log.info('logout from another site ignored (Sec-Fetch-Site: %s)', request.headers['sec-fetch-site'])
        return _no_store(RedirectResponse('/', status_code=303))
    await sessions.end(request_token(request) or None)
    response = RedirectResponse('/login', status_code=303)
    response.delete_cookie(session_cookie_name(), path='/', secure=config.settings.https, httponly=True)
    return _no_store(response)


def _no_store(response: Response) -> Response:
    response.headers['Cache-Control'] = 'no-store'
    return response
