"""Single-use emailed links: 256-bit random tokens, stored as SHA-256, one purpose each.

Opening a link only shows a page; the button on it consumes the token (mail scanners prefetch links)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from models.security import LinkToken
from services import clock, config, limits

CONFIRM_EMAIL = 'confirm_email'
RESET_PASSWORD = 'reset_password'  # noqa: S105 - a purpose, not a password
CHANGE_EMAIL = 'change_email'
CONFIRM_EBILL = 'confirm_ebill'
TTL = {
    CONFIRM_EMAIL: timedelta(hours=24),
    RESET_PASSWORD: timedelta(minutes=60),
    CHANGE_EMAIL: timedelta(hours=24),
    CONFIRM_EBILL: timedelta(hours=24),
}
PATHS = {
    CONFIRM_EMAIL: '/confirm',
    RESET_PASSWORD: '/reset',
    CHANGE_EMAIL: '/email-change',
    CONFIRM_EBILL: '/ebill-confirm',
}
#: purposes whose links each prove one address, so a newer link leaves the older ones alive: a cabinet may be
#: confirming e-bill addresses of several accounts at once
_SEVERAL_LIVE = frozenset({CONFIRM_EBILL})


def digest(raw: str) -> str:
    """What is stored of a token (a link's, a session's): its SHA-256, so a copy of the database opens nothing."""
    return hashlib.sha256(raw.encode()).hexdigest()


async def issue(purpose: str, cabinet_id: int, email: str) -> str:
    """A new link for this cabinet and purpose; older unused ones of the same purpose die (except `_SEVERAL_LIVE`)."""
    now = clock.now()
    if purpose not in _SEVERAL_LIVE:
        await revoke(cabinet_id, purpose)
    raw = secrets.token_urlsafe(32)
    await LinkToken.create(
        purpose=purpose,
        token_hash=digest(raw),
        cabinet_id=cabinet_id,
        email=email,
        created_at=now,
        expires_at=now + TTL[purpose],
    )
    return raw


async def revoke(cabinet_id: int, *purposes: str) -> int:
    """Kill the cabinet's unused links of these purposes: what was mailed before a change must not undo it."""
    return await LinkToken.filter(cabinet_id=cabinet_id, purpose__in=purposes, used_at=None).update(used_at=clock.now())


def well_formed(raw: object) -> bool:
    """Tokens are URL-safe base64: any other text in the address bar is a dead link, never a failed hash or query."""
    return isinstance(raw, str) and 0 < len(raw) <= limits.TOKEN and raw.isascii()


def url(purpose: str, raw: str) -> str:
    return page_url(PATHS[purpose], raw)


def page_url(path: str, raw: str) -> str:
    """The portal's page at `path` (behind PORTAL_BASE_URL) with the token in its address."""
    return f'{config.settings.base_url.rstrip("/")}{path}?token={raw}'


async def peek(purpose: str, raw: str) -> LinkToken | None:
    """The live token behind a link, without using it up."""
    if not well_formed(raw):
        return None
    live = {'used_at': None, 'expires_at__gt': clock.now()}
    return await LinkToken.get_or_none(token_hash=digest(raw), purpose=purpose, **live)


async def consume(purpose: str, raw: str) -> LinkToken | None:
    """Use the token up atomically: of two concurrent clicks exactly one gets it."""
    token = await peek(purpose, raw)
    if token is None:
        return None
    updated = await LinkToken.filter(id=token.id, used_at=None).update(used_at=clock.now())
    return token if updated else None
