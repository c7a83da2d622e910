"""Who is at this browser: the caller's IP, the signed-in cabinet, and what the browser remembers between pages
(the chosen personal account, step 1 of the first entry).

The session token lives only in our own HttpOnly cookie, set on an HTTP response at login (pages/shell/handover.py):
NiceGUI's per-browser storage is keyed by a cookie that is never rotated and that anyone can plant, and its files
sit on the server's disk, so it holds nothing that signs anyone in. A login happens in a socket event, which cannot
set a cookie: the token is handed over through that storage sealed with a one-time pad, and the pad goes to this
tab alone, in the link it is sent to (`hand_over_session`). Step 1 of the first entry is kept the same way, under
the digest of a key only the tab that passed it holds: a planted storage cookie goes on with nobody's first entry.

Customers and the utility's staff (the console under /staff) sign in the same way, each kind with a cookie, login page
and hand-over links of its own (`SessionKind`): a page reads only its own kind's cookie, so a customer's session never
opens a console page and a staff session never opens a customer's."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import Request
from nicegui import app, ui

from services import clock, config
from services.accounts import linking
from services.errors import NotAllowed
from services.identity import sessions
from services.staff import sessions as staff_sessions
from services.texts import t

if TYPE_CHECKING:
    from models.billing import Account
    from models.cabinet import Cabinet
    from models.staff import Staff


@dataclass(frozen=True)
class SessionKind:
    """Who a session signs in: its cookie, its login and home pages, the links that set and clear the cookie
    (pages/shell/handover.py), and the service that keeps its sessions."""

    #: the cookie's name; `__Host-` (Secure, whole site, this host only) goes before it when served over https
    cookie: str
    #: where this browser's NiceGUI storage keeps sealed tokens on their way from a login (a socket event) to the HTTP
    #: response that sets the cookie
    handover: str
    login_path: str
    home_path: str
    start_path: str
    end_path: str
    #: the session's longest life, and so how long the browser keeps the cookie
    lifetime: timedelta
    #: who the token signs in (None: nobody, the session is gone); `end` ends it
    resolve: Callable[[str | None], Awaitable[Any]]
    end: Callable[[str | None], Awaitable[Any]]

    def cookie_name(self) -> str:
        return f'__Host-{self.cookie}' if config.settings.https else self.cookie

    def request_token(self, request: Request) -> str:
        """The token of this kind the browser sent with this request ('' without one)."""
        return request.cookies.get(self.cookie_name(), '')

    def token(self) -> str:
        """The token of the page this tab shows: the cookie its page request carried."""
        return self.request_token(ui.context.client.request)


#: the operator console: /staff and every page below it
STAFF_ROOT = '/staff'
CUSTOMER = SessionKind(
    cookie='lk_session',
    handover='handover',
    login_path='/login',
    home_path='/',
    start_path='/session/start',
    end_path='/session/end',
    lifetime=sessions.ABSOLUTE,
    resolve=sessions.resolve,
    end=sessions.end,
)
STAFF = SessionKind(
    cookie='lk_staff',
    handover='staff_handover',
    login_path=f'{STAFF_ROOT}/login',
    home_path=STAFF_ROOT,
    start_path=f'{STAFF_ROOT}/session/start',
    end_path=f'{STAFF_ROOT}/session/end',
    lifetime=staff_sessions.ABSOLUTE,
    resolve=staff_sessions.resolve,
    end=staff_sessions.end,
)
#: how long a hand-over waits for its tab to follow the link
HANDOVER_TTL = timedelta(minutes=1)
#: the personal account the header shows; kept per browser so the choice survives a reload
ACCOUNT_KEY = 'account'
#: step 1 of the first entry, kept by the digest of the key in the link its tab follows
FIRST_ENTRY_KEY = 'first_entry'
#: how long step 1 of the first entry (account + surname checked) stays valid for step 2
FIRST_ENTRY_TTL = timedelta(minutes=30)


def kind_of(path: str) -> SessionKind:
    """Whose page `path` is: the console's (/staff and below) or the customers'."""
    return STAFF if path == STAFF_ROOT or path.startswith(f'{STAFF_ROOT}/') else CUSTOMER


def client_ip() -> str | None:
    """The customer's IP as pages.shell.middleware.ClientAddressMiddleware parsed it (behind trusted proxies only)."""
    request = ui.context.client.request
    return request.client.host if request.client else None


def session_cookie_name() -> str:
    """The customers' session cookie."""
    return CUSTOMER.cookie_name()


def request_token(request: Request) -> str:
    """The customer's session token the browser sent with this request ('' without one)."""
    return CUSTOMER.request_token(request)


async def current_cabinet() -> Cabinet | None:
    """Re-checked in every sensitive handler, not only at page load."""
    return await sessions.resolve(session_token())


def session_token() -> str:
    """The customer's token of the page this tab shows: the cookie its page request carried."""
    return CUSTOMER.token()


async def current_staff(*, touch: bool = True) -> Staff | None:
    """The staff member of this tab's console session, re-read (role included) at every call; `touch=False` for a
    page's own polling, which is no activity of theirs."""
    return await staff_sessions.resolve(STAFF.token(), touch=touch)


async def signed_in_staff() -> Staff:
    """The staff member of this tab's console session if it is still live; every console handler asks again before
    acting (the service it calls then checks the role)."""
    staff = await current_staff()
    if staff is None:
        ui.navigate.to(STAFF.login_path)
        raise NotAllowed(t('error.session_expired'))
    return staff


async def signed_in() -> Cabinet:
    """The cabinet of this tab's session if it is still live; every sensitive handler asks again before acting."""
    cabinet = await current_cabinet()
    if cabinet is None:
        ui.navigate.to('/login')
        raise NotAllowed(t('error.session_expired'))
    return cabinet


async def signed_in_page() -> tuple[Cabinet, list[Account], Account | None] | None:
    """What a page behind login shows in its frame: the cabinet, its accounts and the current one; None (and off to
    the login page) when the session is gone."""
    cabinet = await current_cabinet()
    if cabinet is None:
        ui.navigate.to('/login')
        return None
    accounts = await linking.linked_accounts(cabinet.id)
    return cabinet, accounts, choose_account(accounts)


def choose_account(accounts: list[Account]) -> Account | None:
    """The remembered account if it is still linked, else the first one."""
    wanted = app.storage.user.get(ACCOUNT_KEY)
    return next((account for account in accounts if account.number == wanted), accounts[0] if accounts else None)


def remember_account(number: str) -> None:
    app.storage.user[ACCOUNT_KEY] = number


def hand_over_session(token: str, next_path: str = '/', kind: SessionKind = CUSTOMER) -> None:
    """After a login: send this tab to the link that sets the session cookie of `kind`, then on to `next_path`.

    This browser's NiceGUI storage gets the token XORed with a random pad of its length, only this tab gets the pad,
    in the link; neither opens the session alone, and the link works once, within `HANDOVER_TTL`."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    sealed = bytes(a ^ b for a, b in zip(raw, pad, strict=True)).hex()
    key = _keep_for_tab(kind.handover, HANDOVER_TTL, pad, sealed=sealed, next=safe_redirect(next_path))
    ui.navigate.to(f'{kind.start_path}?key={key}')


def claim_handover(key: str, kind: SessionKind = CUSTOMER) -> tuple[str, str] | None:
    """The session token and the next path that `hand_over_session` left for this pad, once; None when there is no
    such hand-over of this kind in this browser's storage, or it is too old."""
    pad = _secret(key)
    entry = _kept_for_tab(kind.handover, HANDOVER_TTL, pad, drop=True)
    if entry is None:
        return None
    sealed = bytes.fromhex(entry['sealed'])
    if len(sealed) != len(pad):
        return None
    token = bytes(a ^ b for a, b in zip(sealed, pad, strict=True)).decode('ascii', errors='replace')
    return token, safe_redirect(entry['next'])


def start_first_entry(number: str) -> str:
    """Step 1 of the first entry checked out on the login page: the link to the registration page that asks for
    the rest, for this tab alone."""
    key = _keep_for_tab(FIRST_ENTRY_KEY, FIRST_ENTRY_TTL, secrets.token_bytes(16), number=number)
    return f'/first-entry?key={key}'


def first_entry_number(key: str) -> str | None:
    """The personal account whose step 1 checked out in this tab in the last `FIRST_ENTRY_TTL`, or None."""
    entry = _kept_for_tab(FIRST_ENTRY_KEY, FIRST_ENTRY_TTL, _secret(key))
    return entry['number'] if entry else None


def end_first_entry(key: str) -> None:
    _kept_for_tab(FIRST_ENTRY_KEY, FIRST_ENTRY_TTL, _secret(key), drop=True)


def _keep_for_tab(name: str, ttl: timedelta, secret: bytes, **entry: str) -> str:
    """Keep `entry` in this browser's storage under the digest of `secret`; the key returned (the secret, for a link)
    goes to one tab, and without it the entry cannot be found, whoever else holds the storage cookie."""
    entries = _in_time(name, ttl)
    entries[_digest(secret)] = {**entry, 'at': clock.now().timestamp()}
    app.storage.user[name] = entries
    return base64.urlsafe_b64encode(secret).decode().rstrip('=')


def _kept_for_tab(name: str, ttl: timedelta, secret: bytes, *, drop: bool = False) -> dict | None:
    """What `_keep_for_tab` kept for this secret and is still in time (taken out of the storage with `drop`)."""
    entries = _in_time(name, ttl)
    digest = _digest(secret) if secret else ''
    entry = entries.pop(digest, None) if drop else entries.get(digest)
    app.storage.user[name] = entries
    return entry


def _in_time(name: str, ttl: timedelta) -> dict[str, dict]:
    oldest = clock.now().timestamp() - ttl.total_seconds()
    kept = app.storage.user.get(name) or {}
    # anything else under the name (step 1 of the first entry as older versions kept it) is dropped
    return {digest: entry for digest, entry in kept.items() if isinstance(entry, dict) and entry.get('at', 0) >= oldest}


def _secret(key: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(key + '=' * (-len(key) % 4))
    except ValueError:
        return b''


def _digest(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()[:32]


def safe_redirect(target: str | None) -> str:
    """Only local paths: anything else would make the login page an open redirect.

    The target is read as a browser reads a URL (WHATWG URL standard): tabs, CR and LF vanish wherever they are,
    leading and trailing spaces and control characters are dropped, and a backslash is a slash. What is left must be
    a path on this host: one leading slash, then no second slash (`//host` is another host), no scheme, no host, no
    other control character. The cleaned path is what the browser is sent to, so what was checked is what runs."""
    if not target:
        return '/'
    cleaned = _BROWSER_IGNORES.sub('', target).strip(_C0_AND_SPACE).replace('\\', '/')
    if not cleaned.startswith('/') or cleaned.startswith('//') or _CONTROL.search(cleaned):
        return '/'
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return '/'
    return cleaned


#: removed by browsers anywhere in a URL
_BROWSER_IGNORES = re.compile('[\t\n\r]')
#: stripped by browsers at both ends of a URL: C0 controls and space
_C0_AND_SPACE = ''.join(chr(code) for code in range(0x21))
#: left inside a path they are no part of a link a customer follows
_CONTROL = re.compile('[\x00-\x1f\x7f]')
