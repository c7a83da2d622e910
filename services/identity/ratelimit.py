"""Attempt limits declared as data and counted in the database, so every process shares them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.queryset import QuerySet

from models.security import RateEvent
from services import clock


@dataclass(frozen=True)
class Rule:
    #: events are counted per scope and subject (a phone, an IP, a login)
    scope: str
    limit: int
    window: timedelta
    #: the subject is a client's IP address: counted per `client_network`
    per_ip: bool = False


def client_network(ip: str) -> str:
    """What a per-IP limit counts: an IPv4 address, or the /64 network of an IPv6 one. One customer line gets a whole
    /64, so counting single IPv6 addresses would give one attacker 2**64 fresh budgets."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))


SMS_PER_PHONE_HOUR = Rule('sms-phone', 5, timedelta(hours=1))
SMS_PER_PHONE_DAY = Rule('sms-phone', 10, timedelta(days=1))
SMS_PER_IP_HOUR = Rule('sms-ip', 10, timedelta(hours=1), per_ip=True)
LOGIN_PER_IP_MINUTE = Rule('login-ip', 10, timedelta(minutes=1), per_ip=True)
#: per typed login and IP: 5 in a row start the lock (services/identity/auth.py doubles it up to 15 min)
LOGIN_FAILURES = Rule('login-fail', 5, timedelta(minutes=15))
#: per typed login alone, from any IP: far above what one IP can reach in the window under `LOGIN_FAILURES`, so one
#: attacker cannot lock a customer out, while many IPs together get no more than 100 guesses (NIST SP 800-63B)
LOGIN_FAILURES_PER_LOGIN = Rule('login-fail-login', 100, timedelta(hours=1))
FIRST_ENTRY_PER_IP_MINUTE = Rule('first-entry-ip', 10, timedelta(minutes=1), per_ip=True)
FIRST_ENTRY_FAILURES = Rule('first-entry-fail', 5, timedelta(minutes=15))
#: registrations that reach the password hash and the confirmation email (codes by SMS have the SMS limits)
REGISTER_PER_IP_HOUR = Rule('register-ip', 10, timedelta(hours=1), per_ip=True)
#: as many as one address may serve accounts (`PORTAL_ACCOUNTS_PER_EMAIL` by default): 10 first entries a day are
#: legitimate
REGISTER_PER_EMAIL_DAY = Rule('register-email', 10, timedelta(days=1))
RESET_PER_LOGIN_HOUR = Rule('reset-login', 5, timedelta(hours=1))
RESET_PER_IP_HOUR = Rule('reset-ip', 20, timedelta(hours=1), per_ip=True)
#: proof mismatches when linking an account (services/accounts/linking.py):
#: per cabinet+account, per account, per cabinet
LINK_FAILURES_PER_PAIR = Rule('link-fail-pair', 3, timedelta(days=1))
LINK_FAILURES_PER_ACCOUNT = Rule('link-fail-account', 5, timedelta(days=1))
LINK_FAILURES_PER_CABINET = Rule('link-fail-cabinet', 10, timedelta(days=1))
#: mail to an address nobody has proven yet (e-bill confirmation links, the new address of an email change): per
#: cabinet (one customer cannot mail strangers through us) and per address over every cabinet (many cabinets cannot
#: flood one inbox); checked before the mail is queued. Mail to a proven address is not counted.
UNPROVEN_MAIL_PER_CABINET_HOUR = Rule('unproven-mail-cabinet', 5, timedelta(hours=1))
UNPROVEN_MAIL_PER_CABINET_DAY = Rule('unproven-mail-cabinet', 10, timedelta(days=1))
UNPROVEN_MAIL_PER_ADDRESS_HOUR = Rule('unproven-mail-address', 3, timedelta(hours=1))
UNPROVEN_MAIL_PER_ADDRESS_DAY = Rule('unproven-mail-address', 5, timedelta(days=1))


def unproven_mail(cabinet_id: int, email: str) -> list[tuple[Rule, str]]:
    """The limits one mail from this cabinet to this not yet proven address counts against."""
    cabinet, address = str(cabinet_id), email.strip().lower()
    return [
        (UNPROVEN_MAIL_PER_CABINET_HOUR, cabinet),
        (UNPROVEN_MAIL_PER_CABINET_DAY, cabinet),
        (UNPROVEN_MAIL_PER_ADDRESS_HOUR, address),
        (UNPROVEN_MAIL_PER_ADDRESS_DAY, address),
    ]


async def any_exceeded(limits: list[tuple[Rule, str]]) -> list[str]:
    """The scopes of `limits` already at their limit (empty: the action may go)."""
    return sorted({rule.scope for rule, subject in limits if await exceeded(rule, subject)})


async def record_all(limits: list[tuple[Rule, str]]) -> None:
    """One event per distinct scope and subject (two windows of one scope count the same events)."""
    for rule, subject in {(rule.scope, subject): (rule, subject) for rule, subject in limits}.values():
        await record(rule, subject)


def _key(rule: Rule, subject: str) -> str:
    return f'{rule.scope}:{client_network(subject) if rule.per_ip else subject}'[:200]


def _events(rule: Rule, subject: str, before: int | None) -> QuerySet[RateEvent]:
    query = RateEvent.filter(key=_key(rule, subject))
    return query if before is None else query.filter(id__lt=before)


async def count(rule: Rule, subject: str, *, before: int | None = None) -> int:
    """Events within the window; with `before` (a `reserve` id) only those reserved earlier."""
    return await _events(rule, subject, before).filter(at__gt=clock.now() - rule.window).count()


async def exceeded(rule: Rule, subject: str) -> bool:
    return await count(rule, subject) >= rule.limit


async def record(rule: Rule, subject: str) -> None:
    await reserve(rule, subject)


async def reserve(rule: Rule, subject: str) -> int:
    """Count an attempt now, before its slow check; the id orders it among concurrent ones (`before=`).

    Check-then-record lets a burst of parallel attempts all pass the check; reserving first and counting only the
    earlier ones gives each attempt of the burst its own place, so no more than the limit get through."""
    return (await RateEvent.create(key=_key(rule, subject), at=clock.now())).id


async def release(*event_ids: int) -> None:
    """Take back reserved attempts that turned out not to count (refused unchecked, or a success)."""
    await RateEvent.filter(id__in=event_ids).delete()


async def take(rule: Rule, subject: str) -> bool:
    """Reserve one attempt under the limit atomically; False, and nothing kept, when the earlier ones reach it."""
    reserved = await reserve(rule, subject)
    if await count(rule, subject, before=reserved) < rule.limit:
        return True
    await release(reserved)
    return False


async def clear(rule: Rule, subject: str) -> None:
    await RateEvent.filter(key=_key(rule, subject)).delete()


async def clear_prefix(rule: Rule, prefix: str) -> None:
    """Every subject of the rule starting with `prefix` (e.g. a login with each IP it was tried from)."""
    await RateEvent.filter(key__startswith=_key(rule, prefix)).delete()


async def subjects(rule: Rule, prefix: str) -> list[str]:
    """The subjects of the rule starting with `prefix` that have events in the window."""
    keys = await (
        RateEvent.filter(key__startswith=_key(rule, prefix), at__gt=clock.now() - rule.window)
        .distinct()
        .values_list('key', flat=True)
    )
    return sorted(key.removeprefix(f'{rule.scope}:') for key in keys)


async def recent(rule: Rule, subject: str, limit: int, *, before: int | None = None) -> list[datetime]:
    """The times of the latest `limit` events (reserved before `before`, when given), oldest first."""
    times = await _events(rule, subject, before).order_by('-at').limit(limit).values_list('at', flat=True)
    return sorted(times)


async def purge(older_than: timedelta = timedelta(days=2)) -> int:
    """Housekeeping: events past every window are dead weight."""
    return await RateEvent.filter(at__lt=clock.now() - older_than).delete()
