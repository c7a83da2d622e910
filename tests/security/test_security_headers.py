"""Issue 11, item 14: the portal sent no security headers, and its socket endpoint answered any page's origin.

Every response now carries a Content-Security-Policy (no framing, no plugins, no foreign <base>), `nosniff` and
`Referrer-Policy: no-referrer` (reset and confirmation tokens sit in URLs), and HSTS when the portal is on https. The
socket (NiceGUI's Socket.IO endpoint, where every click goes) reflected any Origin with credentials: a page on another
site could open it with the customer's cookies. It now refuses an Origin that is not the portal's own."""

from __future__ import annotations

import httpx
import nicegui
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

EVIL = 'https://evil.example'
STATIC = f'/_nicegui/{nicegui.__version__}/static/nicegui.js'
SOCKET = '/_nicegui_ws/socket.io/?EIO=4&transport='


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers.get('content-security-policy', '')
    return {name: value.strip() for name, _, value in (part.strip().partition(' ') for part in policy.split(';'))}


@pytest.mark.parametrize('path', ['/login', STATIC, '/'])
def test_every_response_carries_the_security_headers(start_portal, path):
    portal = start_portal('default')
    response = httpx.get(portal.url + path)
    assert response.status_code in (200, 307), response.status_code
    policy = directives(response)
    assert policy.get('frame-ancestors') == "'none'"
    assert policy.get('object-src') == "'none'"
    assert policy.get('base-uri') == "'self'"
    assert policy.get('default-src') == "'self'"
    assert response.headers.get('x-content-type-options') == 'nosniff'
    assert response.headers.get('referrer-policy') == 'no-referrer'
    assert 'strict-transport-security' not in response.headers  # http: a browser would ignore it anyway


def test_hsts_when_the_portal_is_on_https(start_portal):
    portal = start_portal('default', PORTAL_BASE_URL='https://portal.example')
    for path in ('/login', STATIC):
        assert 'max-age=' in httpx.get(portal.url + path).headers.get('strict-transport-security', '')


def test_the_socket_answers_only_the_portals_own_origin(start_portal):
    portal = start_portal('default', PORTAL_BASE_URL='https://portal.example')
    ws_url = portal.url.replace('http://', 'ws://') + SOCKET + 'websocket'

    def polling(origin: str) -> httpx.Response:
        return httpx.get(portal.url + SOCKET + 'polling', headers={'Origin': origin})

    refused = polling(EVIL)
    assert refused.status_code == 400
    assert refused.headers.get('access-control-allow-origin') is None
    with pytest.raises(InvalidStatus), connect(ws_url, origin=EVIL, open_timeout=10):
        pass
    # the base URL's origin (behind a proxy), and the address the browser really used (same scheme and host)
    for own in ('https://portal.example', portal.url):
        accepted = polling(own)
        assert accepted.status_code == 200, own
        assert accepted.text.startswith('0{')  # Engine.IO's open packet
        assert accepted.headers.get('access-control-allow-origin') == own
        with connect(ws_url, origin=own, open_timeout=10) as socket:
            assert socket.recv(timeout=10).startswith('0{')
    # the same host on another port or scheme is another site
    for other in (portal.url.rsplit(':', 1)[0] + ':1', portal.url.replace('http://', 'https://')):
        assert polling(other).status_code == 400, other
