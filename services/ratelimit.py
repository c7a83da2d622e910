"""Attempt limits declared as data and counted in the database, so every process shares them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.security import RateEvent
from services import clock


@dataclass(frozen=True)
class Rule:
    #: events are counted per scope and subject (a phone, an IP, a login)
    scope: str
    limit: int
    window: timedelta


SMS_PER_PHONE_HOUR = Rule('sms-phone', 5, timedelta(hours=1))
SMS_PER_PHONE_DAY = Rule('sms-phone', 10, timedelta(days=1))
SMS_PER_IP_HOUR = Rule('sms-ip', 10, timedelta(hours=1))
LOGIN_PER_IP_MINUTE = Rule('login-ip', 10, timedelta(minutes=1))
LOGIN_FAILURES = Rule('login-fail', 5, timedelta(minutes=15))
FIRST_ENTRY_PER_IP_MINUTE = Rule('first-entry-ip', 10, timedelta(minutes=1))
FIRST_ENTRY_FAILURES = Rule('first-entry-fail', 5, timedelta(minutes=15))
RESET_PER_LOGIN_HOUR = Rule('reset-login', 5, timedelta(hours=1))
RESET_PER_IP_HOUR = Rule('reset-ip', 20, timedelta(hours=1))
#: proof mismatches when linking an account (services/linking.py): per cabinet+account, per account, per cabinet
LINK_FAILURES_PER_PAIR = Rule('link-fail-pair', 3, timedelta(days=1))
LINK_FAILURES_PER_ACCOUNT = Rule('link-fail-account', 5, timedelta(days=1))
LINK_FAILURES_PER_CABINET = Rule('link-fail-cabinet', 10, timedelta(days=1))


def _key(rule: Rule, subject: str) -> str:
    return f'{rule.scope}:{subject}'[:200]


async def count(rule: Rule, subject: str) -> int:
    return await RateEvent.filter(key=_key(rule, subject), at__gt=clock.now() - rule.window).count()


async def exceeded(rule: Rule, subject: str) -> bool:
    return await count(rule, subject) >= rule.limit


async def record(rule: Rule, subject: str) -> None:
    await RateEvent.create(key=_key(rule, subject), at=clock.now())


async def clear(rule: Rule, subject: str) -> None:
    await RateEvent.filter(key=_key(rule, subject)).delete()


async def recent(rule: Rule, subject: str, limit: int) -> list[datetime]:
    """The times of the latest `limit` events, oldest first."""
    times = await RateEvent.filter(key=_key(rule, subject)).order_by('-at').limit(limit).values_list('at', flat=True)
    return sorted(times)


async def purge(older_than: timedelta = timedelta(days=2)) -> int:
    """Housekeeping: events past every window are dead weight."""
    return await RateEvent.filter(at__lt=clock.now() - older_than).delete()
