"""Attack: a burst of parallel wrong passwords, all checked before the first failure was counted.

The review sent 20 at once against a limit of 5 and all 20 were verified, because each attempt checked the count,
ran argon2 (~150 ms) and only then recorded its failure. Now an attempt is counted before the slow check.

How the number of argon2 verifies is measured: every password check of a login that fails writes exactly one
`login_failure` audit row right after `passwords.verify_password` returned (and nothing else writes one); every
re-entry check that fails writes one `reauth_failure`. With wrong passwords every check fails, so those rows count
the verifies that really ran; the attempts refused before the check answer TooManyAttempts."""

from __future__ import annotations

import asyncio

import pytest

from models.security import AuditEvent
from services.errors import AuthenticationFailed, NotAllowed, TooManyAttempts
from services.identity import auth, ratelimit, reauth, sessions
from tests.support.factories import GOOD, make_cabinet

BURST = 20


@pytest.mark.parametrize('ip', ['203.0.113.7', None])
async def test_twenty_parallel_wrong_passwords_get_five_checks(db, fake_clock, ip):
    await make_cabinet('ivanov', password=GOOD)
    results = await asyncio.gather(
        *(auth.login('ivanov', f'wrong-password-{n}', ip=ip) for n in range(BURST)), return_exceptions=True
    )
    verified = await AuditEvent.filter(event='login_failure').count()
    assert verified == ratelimit.LOGIN_FAILURES.limit
    assert sorted(type(result).__name__ for result in results) == sorted(
        ['AuthenticationFailed'] * verified + ['TooManyAttempts'] * (BURST - verified)
    )
    # the refused ones did not count as failures: the lock is the one five failures give
    assert await auth.lockout_left('ivanov', ip) == auth.FIRST_LOCK


async def test_a_burst_of_parallel_logins_from_one_ip_keeps_the_ip_limit(db):
    results = await asyncio.gather(
        *(auth.login(f'user{n}', 'wrong-password', ip='203.0.113.8') for n in range(BURST)), return_exceptions=True
    )
    refused = [result for result in results if isinstance(result, TooManyAttempts)]
    assert len(refused) == BURST - ratelimit.LOGIN_PER_IP_MINUTE.limit
    assert await AuditEvent.filter(event='login_failure').count() == ratelimit.LOGIN_PER_IP_MINUTE.limit


async def test_the_right_password_in_a_burst_is_no_failure(db):
    await make_cabinet('ivanov', password=GOOD)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip='10.0.0.1')
    await auth.login('ivanov', GOOD, ip='10.0.0.1')
    for _ in range(4):  # the success ended the streak: four more wrong ones lock nothing
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip='10.0.0.1')
    await auth.login('ivanov', GOOD, ip='10.0.0.1')


async def test_twenty_parallel_wrong_reentries_get_five_checks(db):
    cabinet = await make_cabinet('ivanov', password=GOOD)
    _, token = await auth.login('ivanov', GOOD, ip=None)
    results = await asyncio.gather(
        *(reauth.confirm_password(cabinet, token, f'wrong-password-{n}', ip=None) for n in range(BURST)),
        return_exceptions=True,
    )
    assert await AuditEvent.filter(event='reauth_failure').count() <= reauth.REENTRY_FAILURES.limit
    # the guessing ended the session; a try whose session lookup ran after that is refused as signed out
    # (PostgreSQL's connection pool queues some lookups behind the first ends)
    outcomes = {type(result) for result in results}
    assert TooManyAttempts in outcomes
    assert outcomes <= {AuthenticationFailed, TooManyAttempts, NotAllowed}
    assert await sessions.find(token) is None
