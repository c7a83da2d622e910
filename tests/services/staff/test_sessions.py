"""Staff sessions: 15 minutes idle, 8 hours in all, one ended at logout, all of a staff member's at once; apart from
the customers' sessions."""

from __future__ import annotations

import pytest

from models.staff import Staff, StaffRole, StaffSession
from services.identity import housekeeping, tokens
from services.identity import sessions as customer_sessions
from services.staff import accounts, sessions
from tests.support.factories import make_cabinet
from tests.support.staff import enrolled_staff

#: on the fake clock (20 November 2026, 10:00 UTC): the tests compute the app's codes for it
pytestmark = pytest.mark.usefixtures('db', 'fake_clock')


async def chief() -> Staff:
    """An enrolled admin without the session the enrolment opened."""
    member = await enrolled_staff('chief')
    await sessions.end_all(member.staff.id)
    await StaffSession.all().delete()
    return member.staff


async def test_a_session_ends_after_fifteen_idle_minutes(fake_clock):
    staff = await chief()
    token = await sessions.start(staff, '10.0.0.1')
    fake_clock.advance(minutes=14, seconds=59)
    assert (await sessions.resolve(token)).login == 'chief'
    fake_clock.advance(minutes=14, seconds=59)  # used a moment ago: idle counts from then
    assert await sessions.resolve(token) is not None
    fake_clock.advance(minutes=15, seconds=1)
    assert await sessions.resolve(token) is None
    assert (await StaffSession.get(id=tokens.digest(token))).ended_at is not None


async def test_a_session_ends_after_eight_hours_however_busy(fake_clock):
    token = await sessions.start(await chief(), None)
    for _ in range(8 * 6):
        fake_clock.advance(minutes=10)
        assert await sessions.resolve(token) is not None
    fake_clock.advance(seconds=1)
    assert await sessions.resolve(token) is None


async def test_each_call_reads_the_role_as_stored_now():
    admin, anna = await chief(), await enrolled_staff('anna', StaffRole.OPERATOR)
    token = await sessions.start(anna.staff, None)
    await accounts.change_role(admin, 'anna', 'viewer')
    assert (await sessions.resolve(token)).role == StaffRole.VIEWER


async def test_end_one_and_end_all():
    staff = await chief()
    first, second, third = [await sessions.start(staff, None) for _ in range(3)]
    assert (await sessions.end(first)).id == staff.id
    assert await sessions.end(first) is None
    assert await sessions.resolve(first) is None and await sessions.resolve(second) is not None
    assert await sessions.end_all(staff.id) == 2
    assert await sessions.resolve(second) is None and await sessions.resolve(third) is None


async def test_a_staff_token_is_no_customer_session_and_a_customer_token_no_staff_one():
    staff_token = await sessions.start(await chief(), None)
    customer_token = await customer_sessions.start(await make_cabinet('ivanov'), None)
    assert await customer_sessions.resolve(staff_token) is None
    assert await sessions.resolve(customer_token) is None


async def test_housekeeping_removes_staff_sessions_two_days_after_they_ended(fake_clock):
    staff = await chief()
    ended, _idle = [await sessions.start(staff, None) for _ in range(2)]
    await sessions.end(ended)
    fake_clock.advance(days=2, minutes=1)
    live = await sessions.start(staff, None)
    assert (await housekeeping.sweep())['staff_sessions'] == 1  # idle ended 15 minutes after it began
    fake_clock.advance(minutes=15)
    assert (await housekeeping.sweep())['staff_sessions'] == 1
    assert await StaffSession.all().values_list('id', flat=True) == [tokens.digest(live)]
