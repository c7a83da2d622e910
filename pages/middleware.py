"""Pages behind login redirect to the login page; the session is our own server-side record.

A path no route answers is let through to the 404 page, signed in or not: a mistyped or stale link should say
«Страница не найдена», not ask for a login and then say it. Known pages stay closed unless listed as public."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response
from starlette.routing import Match

from pages.common import SESSION_KEY
from services import sessions


class SessionMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        from pages import PUBLIC_PATHS

        path = request.url.path
        if path in PUBLIC_PATHS or path.startswith('/_nicegui') or request.method != 'GET' or not _known(request):
            return await call_next(request)
        if await sessions.resolve(app.storage.user.get(SESSION_KEY)) is None:
            return RedirectResponse(f'/login?redirect_to={quote(path)}')
        return await call_next(request)


def _known(request: Request) -> bool:
    return any(route.matches(request.scope)[0] is Match.FULL for route in app.routes)
