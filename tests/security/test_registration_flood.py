"""Attack: registrations without limit. The review sent 15 from one IP in 9 s: 16 confirmation emails to a
victim's address and 16 argon2 hashes. Registrations are now counted per IP and per email address before the
password is hashed or anything is mailed."""

from __future__ import annotations

import pytest

from models.cabinet import Cabinet
from models.outbox import OutboxMessage
from models.security import AuditEvent
from services.errors import TooManyAttempts
from services.identity import ratelimit, registration
from tests.support.factories import registration_form

VICTIM = 'victim@example.ru'


async def register(n: int, *, email: str, ip: str | None) -> str:
    try:
        await registration.register_by_login(registration_form(login=f'flood{n}', email=email), ip=ip)
    except TooManyAttempts as refusal:
        return refusal.field or 'form'
    return 'registered'


async def test_one_ip_registers_no_more_than_the_limit(db, fake_clock):
    limit = ratelimit.REGISTER_PER_IP_HOUR.limit
    results = [await register(n, email=f'u{n}@example.ru', ip='203.0.113.5') for n in range(limit + 5)]
    assert results == ['registered'] * limit + ['form'] * 5
    assert await Cabinet.all().count() == limit  # nothing hashed or stored past the limit
    assert await AuditEvent.filter(event='registration_limited').count() == 5
    await register(99, email='other@example.ru', ip='203.0.113.6')  # another IP is not affected
    fake_clock.advance(hours=1, seconds=1)
    assert await register(100, email='later@example.ru', ip='203.0.113.5') == 'registered'


async def test_one_address_gets_no_more_than_the_limit_of_confirmations(db, fake_clock):
    limit = ratelimit.REGISTER_PER_EMAIL_DAY.limit
    # from as many IPs as it takes, the victim's address in every form
    results = [await register(n, email=VICTIM if n % 2 else VICTIM.upper(), ip=f'10.7.0.{n}') for n in range(limit + 5)]
    assert results == ['registered'] * limit + ['email'] * 5
    assert await OutboxMessage.filter(recipient__iexact=VICTIM).count() == limit
    with pytest.raises(TooManyAttempts, match='Слишком много регистраций на этот адрес'):
        await registration.register_by_login(registration_form(login='onemore', email=VICTIM), ip=None)
