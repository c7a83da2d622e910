"""What every request passes: whose IP it is, the security headers of its response, the origins the socket answers,
and the login wall.

Pages behind login redirect to the login page; the session is our own server-side record. The operator console's pages
(/staff and below) ask for a staff session and send to /staff/login, every other page for a customer's and sends to
/login: neither session opens the other's pages. A path no route answers is let through to the 404 page, signed in or
not: a mistyped or stale link should say «Страница не найдена», not ask for a login and then say it. Known pages stay
closed unless listed as public."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, core
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pages.session import STAFF, kind_of
from services import config

#: paths anyone may open; the session middleware sends everything else to /login
PUBLIC_PATHS = {
    '/login',
    '/register',
    '/first-entry',
    '/confirm',
    '/reset',
    '/forgot',
    '/email-change',
    '/ebill-confirm',
    '/readings/unsubscribe',  # a reminder email's link: one button, no login (services/readings/notices.py)
    '/demo/mail',
    '/favicon.ico',  # the logo when PORTAL_BRAND_LOGO is set
    '/session/start',  # sets the session cookie after a login (pages/shell/handover.py)
    '/session/end',
    # the console's own (pages/staff/): its login, the page behind an enrolment link, its cookie's hand-over
    STAFF.login_path,
    '/staff/enrol',
    STAFF.start_path,
    STAFF.end_path,
    # for the load balancer and Prometheus (pages/shell/probes.py); /metrics answers only PORTAL_METRICS_FROM
    '/healthz',
    '/readyz',
    '/metrics',
}


class SessionMiddleware:
    """The login wall. A plain ASGI middleware, not Starlette's BaseHTTPMiddleware: that one runs every request in a
    task group with memory streams, whose reference cycles (with a traceback and its frames) wait for the cycle
    collector — per page load, with a crowd on the portal (docs/operator.md «Capacity of one process»)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'http' and scope['method'] == 'GET':
            request = Request(scope)
            path = request.url.path
            if path not in PUBLIC_PATHS and not path.startswith('/_nicegui') and _known(request):
                kind = kind_of(path)
                if await kind.resolve(kind.request_token(request)) is None:
                    redirect = RedirectResponse(f'{kind.login_path}?redirect_to={quote(path)}')
                    await redirect(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _known(request: Request) -> bool:
    return any(route.matches(request.scope)[0] is Match.FULL for route in app.routes)


FORWARDED_FOR = b'x-forwarded-for'


class ClientAddressMiddleware:
    """Sets the request's client to the customer's IP (`client_address`), for `pages.session.client_ip()` and every
    per-IP limit; uvicorn's own X-Forwarded-For handling is off (main.py), as it trusts any loopback peer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.trusted = config.settings.trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] in ('http', 'websocket'):
            peer = scope['client'][0] if scope.get('client') else None
            forwarded = ','.join(value.decode('latin-1') for name, value in scope['headers'] if name == FORWARDED_FOR)
            address = client_address(peer, forwarded, self.trusted)
            scope = {**scope, 'client': (address, scope['client'][1]) if address else None}
        await self.app(scope, receive, send)


def client_address(peer: str | None, forwarded_for: str, trusted: Sequence[IPv4Network | IPv6Network]) -> str | None:
    """The peer's IP; while that is a trusted proxy, the hop it names in X-Forwarded-For before it (each proxy appends
    the address it saw, so whatever stands further left the client wrote). Never the header's text: a hop that is no
    IP address ends the walk at the proxy that passed it on."""
    address = _parsed(peer)
    hops = reversed(forwarded_for.split(',')) if trusted and forwarded_for else iter(())
    while address is not None and any(address in network for network in trusted):
        hop = _parsed(next(hops, '').strip())
        if hop is None:
            break
        address = hop
    return str(address) if address is not None else None


def _parsed(text: str | None) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text or '')
    except ValueError:
        return None
    if isinstance(address, IPv6Address):
        if address.scope_id:  # «fe80::1%…» takes a scope of any length: not an address a column of 45 holds
            return None
        return address.ipv4_mapped or address
    return address


# NiceGUI's page is inline scripts (the import map, each page's elements and Vue setup, rendered by NiceGUI's own
# template, so no nonce can be put on them) and it runs element props, event handlers and run_javascript through
# eval/new Function; Quasar and NiceGUI add inline <style>. So script-src needs 'unsafe-inline' 'unsafe-eval' and
# style-src 'unsafe-inline'. Everything else is our own origin: no script, frame, form target or connection elsewhere.
CONTENT_SECURITY_POLICY = '; '.join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",  # NiceGUI's emoji favicon is a data: URL
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
#: one year; no includeSubDomains: the utility's other hosts are not ours to decide for
HSTS = 'max-age=31536000'


class SecurityHeadersMiddleware:
    """The headers of every HTTP response, pages, static files and the socket's polling alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (b'content-security-policy', CONTENT_SECURITY_POLICY.encode()),
            (b'x-frame-options', b'DENY'),  # frame-ancestors for browsers that predate it
            (b'x-content-type-options', b'nosniff'),
            # reset, confirmation and email-change tokens sit in URLs: no other site may read them from a Referer
            (b'referrer-policy', b'no-referrer'),
        ]
        if config.settings.https:
            self.headers.append((b'strict-transport-security', HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                message = {**message, 'headers': [*message.get('headers', []), *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def socket_origin_allowed(origin: str, environ: dict[str, Any]) -> bool:
    """Engine.IO's origin check of the socket (NiceGUI accepts any origin, with credentials): the portal's own origin
    only. That is PORTAL_BASE_URL's (the address behind a proxy), or the scheme and host the browser connected to
    (http://127.0.0.1:8080 when an operator opens the server directly): a page of another site always sends its own
    origin, never the host it connects to, so it cannot open the socket with the customer's cookies."""
    scope = environ['asgi.scope']
    scheme = {'ws': 'http', 'wss': 'https'}.get(scope['scheme'], scope['scheme'])
    own = {_origin(config.settings.base_url), f'{scheme}://{environ.get("HTTP_HOST", "")}'.lower()}
    return origin.lower() in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    default = {'http': 80, 'https': 443}.get(parts.scheme)
    port = f':{parts.port}' if parts.port and parts.port != default else ''
    return f'{parts.scheme}://{parts.hostname}{port}'.lower()


def bind_socket_origins() -> None:
    core.sio.eio.cors_allowed_origins = socket_origin_allowed
