"""Attack: 5 wrong passwords, then one every 15 minutes, kept any login locked for its owner forever.

Failures now lock the typed login per IP; the login alone locks only past 100 failures within an hour from any IP
(NIST SP 800-63B allows up to 100 consecutive failures), far more than one IP can make in that hour."""

from __future__ import annotations

import asyncio

import pytest

from services.errors import AuthenticationFailed, TooManyAttempts
from services.identity import auth, cabinets, ratelimit
from tests.support.factories import GOOD, NEW, make_cabinet

ATTACKER = '203.0.113.66'
OWNER = '198.51.100.10'


async def guess(ip: str) -> str:
    try:
        await auth.login('ivanov', 'wrong-password', ip=ip)
    except (AuthenticationFailed, TooManyAttempts) as refusal:
        return type(refusal).__name__
    raise AssertionError('a wrong password logged in')


async def test_an_attacker_on_one_ip_cannot_lock_the_owner_out(db, fake_clock):
    await make_cabinet('ivanov', password=GOOD)
    for _ in range(ratelimit.LOGIN_FAILURES.limit):
        assert await guess(ATTACKER) == 'AuthenticationFailed'
    assert await guess(ATTACKER) == 'TooManyAttempts'
    await auth.login('ivanov', GOOD, ip=OWNER)  # the owner, elsewhere, is not locked
    for _ in range(8):  # two hours of one guess every 15 minutes
        fake_clock.advance(minutes=15, seconds=1)
        await guess(ATTACKER)
        await auth.login('ivanov', GOOD, ip=OWNER)
    # and the attacker's own address stays locked: the owner's successes do not lift it
    assert await auth.lockout_left('ivanov', ATTACKER) > auth.FIRST_LOCK
    with pytest.raises(TooManyAttempts):
        await auth.login('ivanov', GOOD, ip=ATTACKER)


async def test_one_ip_alone_cannot_reach_the_per_login_ceiling(db, fake_clock):
    """Guessing as fast as the lock allows for a whole hour stays far below 100 failures."""
    await make_cabinet('ivanov', password=GOOD)
    failures = 0
    for _ in range(60 * 60 // 30):  # a guess every 30 seconds for an hour
        failures += await guess(ATTACKER) == 'AuthenticationFailed'
        fake_clock.advance(seconds=30)
    assert failures < ratelimit.LOGIN_FAILURES_PER_LOGIN.limit // 5
    await auth.login('ivanov', GOOD, ip=OWNER)


async def test_a_hundred_failures_from_many_ips_lock_the_login_until_the_operator_unlocks(db, fake_clock):
    await make_cabinet('ivanov', password=GOOD)
    limit = ratelimit.LOGIN_FAILURES_PER_LOGIN.limit
    refusals = await asyncio.gather(*(guess(f'10.9.{n // 250}.{n % 250}') for n in range(limit)))
    assert set(refusals) == {'AuthenticationFailed'}
    with pytest.raises(TooManyAttempts, match='через 60 мин'):
        await auth.login('ivanov', GOOD, ip=OWNER)  # even the right password, from a fresh IP, waits
    report = await cabinets.cabinet_report('ivanov')
    assert report.lockout_left == ratelimit.LOGIN_FAILURES_PER_LOGIN.window
    await cabinets.unlock('ivanov')  # `python main.py cabinet unlock ivanov`
    assert (await cabinets.cabinet_report('ivanov')).lockout_left.total_seconds() == 0
    await auth.login('ivanov', GOOD, ip=OWNER)


async def test_the_operator_unlock_and_a_new_password_lift_every_ips_lock(db, fake_clock, mailbox):
    from services.identity import password_change

    cabinet = await make_cabinet('ivanov', password=GOOD)
    for ip in (ATTACKER, OWNER):
        for _ in range(ratelimit.LOGIN_FAILURES.limit):
            await guess(ip)
    report = await cabinets.cabinet_report('ivanov')
    assert report.lockout_left == auth.FIRST_LOCK
    await cabinets.unlock('ivanov')
    for ip in (ATTACKER, OWNER):
        assert (await auth.lockout_left('ivanov', ip)).total_seconds() == 0
    fake_clock.advance(minutes=1, seconds=1)  # past the per-IP minute limit
    for _ in range(ratelimit.LOGIN_FAILURES.limit):
        await guess(OWNER)
    _, token = await auth.login('ivanov', GOOD, ip='10.0.0.3')
    await password_change.change_password(cabinet, token, GOOD, NEW, NEW, ip='10.0.0.3')
    fake_clock.advance(minutes=1, seconds=1)
    await auth.login('ivanov', NEW, ip=OWNER)


async def test_an_ipv6_attacker_cannot_rotate_addresses_within_their_64(db, fake_clock):
    """A customer line gets a whole IPv6 /64: each fresh address of it must not be a fresh budget (100 addresses
    would otherwise reach the per-login ceiling and lock the owner out everywhere)."""
    await make_cabinet('ivanov', password=GOOD)
    refusals = [await guess(f'2001:db8:6:6::{n:x}') for n in range(ratelimit.LOGIN_FAILURES.limit + 3)]
    assert refusals.count('AuthenticationFailed') == ratelimit.LOGIN_FAILURES.limit
    assert await auth.lockout_left('ivanov', '2001:db8:6:6:ffff::1') > auth.FIRST_LOCK / 2
    await auth.login('ivanov', GOOD, ip='2001:db8:7::1')  # the next /64 over is another customer


def test_every_per_ip_limit_counts_an_ipv6_client_by_its_64():
    rules = [value for value in vars(ratelimit).values() if isinstance(value, ratelimit.Rule)]
    assert {rule.scope for rule in rules if rule.per_ip} == {rule.scope for rule in rules if rule.scope.endswith('-ip')}
    assert ratelimit.client_network('2001:db8:1:2:3:4:5:6') == '2001:db8:1:2::/64'
    assert ratelimit.client_network('::ffff:203.0.113.5') == '203.0.113.5'
    assert ratelimit.client_network('203.0.113.5') == '203.0.113.5'
