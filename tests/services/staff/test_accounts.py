"""Staff accounts: added with a one-time enrolment link (the command line or an admin), listed, given a new role,
disabled, sent a new link; admins only, and never on themselves."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from models.security import AuditEvent
from models.staff import Staff, StaffRecoveryCode, StaffRole, StaffSession
from services.errors import AuthenticationFailed, InvalidInput, NotAllowed
from services.staff import accounts, enrolment, login, sessions
from services.staff.roles import StaffForbidden
from tests.support.staff import enrolled_staff, token_of

#: on the fake clock (20 November 2026, 10:00 UTC): the tests compute the app's codes for it
pytestmark = pytest.mark.usefixtures('db', 'fake_clock')

FORBIDDEN = 'У вашей роли нет права на это действие.'


async def test_staff_add_on_the_command_line_gives_a_one_time_link_stored_as_its_digest():
    staff, link = await accounts.add_staff('  Chief.Admin ', 'admin', by=None)
    assert staff.login == 'chief.admin' and staff.role == StaffRole.ADMIN
    assert link.startswith('http://portal.test/staff/enrol?token=')
    assert staff.enrol_token_hash == hashlib.sha256(token_of(link).encode()).hexdigest()
    assert token_of(link) not in str(await Staff.all().values())
    members = await accounts.list_staff(by=None)
    assert [(m.login, m.role, m.state) for m in members] == [('chief.admin', 'admin', accounts.StaffState.INVITED)]
    event = await AuditEvent.get(event='staff_added')
    assert event.staff_id is None and event.detail == {'target': 'chief.admin', 'role': 'admin', 'by': 'command line'}


@pytest.mark.parametrize(
    ('typed', 'error'),
    [
        ('', 'Заполните это поле'),
        ('a', 'Логин — от 2 до 32 символов'),
        ('иванова', 'Логин — от 2 до 32 символов'),
        ('-dash', 'Логин — от 2 до 32 символов'),
        ('with space', 'Логин — от 2 до 32 символов'),
        ('x' * 33, 'Логин — от 2 до 32 символов'),
        ('x' * 65, 'Слишком длинное значение'),
        ('CHIEF', 'Сотрудник с логином chief уже есть'),
    ],
)
async def test_a_login_is_refused_at_its_field_with_the_reason(typed, error):
    await accounts.add_staff('chief', 'admin', by=None)
    with pytest.raises(InvalidInput) as caught:
        await accounts.add_staff(typed, 'viewer', by=None)
    assert list(caught.value.errors) == ['login'] and caught.value.errors['login'].startswith(error)
    assert await Staff.all().count() == 1


@pytest.mark.parametrize('role', ['root', '', 'ADMIN', 7, ['admin']])
async def test_only_the_three_roles_are_taken(role):
    with pytest.raises(InvalidInput) as caught:
        await accounts.add_staff('anna', role, by=None)
    assert list(caught.value.errors) == ['role']
    assert not await Staff.exists(login='anna')


async def test_the_same_login_added_twice_at_once_is_one_staff_member():
    results = await asyncio.gather(
        *[accounts.add_staff('anna', 'viewer', by=None) for _ in range(2)], return_exceptions=True
    )
    refused = [result for result in results if isinstance(result, InvalidInput)]
    assert len(refused) == 1 and refused[0].errors == {'login': 'Сотрудник с логином anna уже есть'}
    assert await Staff.filter(login='anna').count() == 1


async def test_an_admin_adds_changes_disables_and_sends_a_new_link():
    chief = await enrolled_staff('chief')
    _, link = await accounts.add_staff('anna', 'viewer', by=chief.staff)
    added = await AuditEvent.get(event='staff_added', staff_id=chief.staff.id)
    assert added.detail == {'target': 'anna', 'role': 'viewer', 'by': 'chief'}
    await accounts.change_role(chief.staff, 'anna', 'operator')
    assert (await Staff.get(login='anna')).role == StaffRole.OPERATOR
    event = await AuditEvent.get(event='staff_role_changed')
    assert event.staff_id == chief.staff.id
    assert event.detail == {'target': 'anna', 'role': 'operator', 'before': 'viewer'}
    await accounts.disable(chief.staff, 'anna')
    assert [m.state for m in await accounts.list_staff(by=chief.staff)] == ['disabled', 'active']
    assert (await AuditEvent.get(event='staff_disabled')).staff_id == chief.staff.id
    new = await accounts.reissue_link(chief.staff, 'anna')
    assert new != link and (await enrolment.open_enrolment(token_of(new))).login == 'anna'
    assert [m.state for m in await accounts.list_staff(by=chief.staff)] == ['invited', 'active']


ADMIN_ACTIONS = {
    'add_staff': lambda by: accounts.add_staff('newbie', 'viewer', by=by),
    'list_staff': lambda by: accounts.list_staff(by=by),
    'change_role': lambda by: accounts.change_role(by, 'anna', 'admin'),
    'disable': lambda by: accounts.disable(by, 'anna'),
    'reissue_link': lambda by: accounts.reissue_link(by, 'anna'),
}


@pytest.mark.parametrize('role', [StaffRole.VIEWER, StaffRole.OPERATOR])
@pytest.mark.parametrize('action', ADMIN_ACTIONS, ids=str)
async def test_viewers_and_operators_are_refused_every_staff_action(role, action):
    clerk = await enrolled_staff('clerk', role)
    anna = await enrolled_staff('anna', StaffRole.VIEWER)
    with pytest.raises(StaffForbidden) as caught:
        await ADMIN_ACTIONS[action](clerk.staff)
    assert caught.value.message == FORBIDDEN
    stored = await Staff.get(login='anna')
    assert stored.role == StaffRole.VIEWER and stored.disabled_at is None and stored.enrolled_at is not None
    assert not await Staff.exists(login='newbie')
    assert await sessions.resolve(await sessions.start(anna.staff, None)) is not None


@pytest.mark.parametrize(
    'act',
    [
        lambda by: accounts.change_role(by, 'chief', 'viewer'),
        lambda by: accounts.disable(by, 'chief'),
        lambda by: accounts.reissue_link(by, 'chief'),
    ],
    ids=['demote', 'disable', 'reissue'],
)
async def test_an_admin_never_acts_on_themselves(act):
    chief = await enrolled_staff('chief')
    with pytest.raises(NotAllowed) as caught:
        await act(chief.staff)
    assert caught.value.message == 'Свою роль, доступ и подключение меняет другой администратор'
    stored = await Staff.get(login='chief')
    assert stored.role == StaffRole.ADMIN and stored.disabled_at is None and stored.enrolled_at is not None


async def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    first, second = await enrolled_staff('first'), await enrolled_staff('second')
    results = await asyncio.gather(
        accounts.change_role(first.staff, 'second', 'viewer'),
        accounts.change_role(second.staff, 'first', 'viewer'),
        return_exceptions=True,
    )
    assert sum(isinstance(result, StaffForbidden) for result in results) == 1, results
    assert await Staff.filter(role=StaffRole.ADMIN).count() == 1


async def test_a_disabled_staff_member_is_signed_out_and_cannot_log_in(fake_clock):
    chief, anna = await enrolled_staff('chief'), await enrolled_staff('anna', StaffRole.OPERATOR)
    _, token = await login.login('anna', anna.password, anna.code(), ip=None)
    await accounts.disable(chief.staff, 'anna')
    fake_clock.advance(seconds=30)
    assert await sessions.resolve(token) is None
    assert await StaffSession.filter(staff=anna.staff, ended_at=None).count() == 0
    with pytest.raises(AuthenticationFailed, match='Неверный логин, пароль или код'):
        await login.login('anna', anna.password, anna.code(), ip=None)
    assert (await AuditEvent.filter(event='staff_login_failure').first()).detail['reason'] == 'disabled'
    await accounts.disable(chief.staff, 'anna')  # again: nothing more happens
    assert await AuditEvent.filter(event='staff_disabled').count() == 1


async def test_a_new_link_undoes_the_enrolment_and_brings_a_disabled_one_back(fake_clock):
    chief, anna = await enrolled_staff('chief'), await enrolled_staff('anna', StaffRole.OPERATOR)
    _, token = await login.login('anna', anna.password, anna.code(), ip=None)
    await accounts.disable(chief.staff, 'anna')
    link = await accounts.reissue_link(chief.staff, 'anna')
    assert await sessions.resolve(token) is None
    stored = await Staff.get(login='anna')
    assert stored.disabled_at is None and stored.password_hash is None and stored.totp_secret is None
    assert await StaffRecoveryCode.filter(staff=stored).count() == 0
    fake_clock.advance(seconds=30)
    with pytest.raises(AuthenticationFailed):  # the old password and app no longer open anything
        await login.login('anna', anna.password, anna.code(), ip=None)
    assert (await enrolment.open_enrolment(token_of(link))).login == 'anna'


async def test_the_command_line_sends_the_last_admin_a_new_link():
    await enrolled_staff('chief')
    link = await accounts.reissue_link(None, 'CHIEF')
    assert (await enrolment.open_enrolment(token_of(link))).login == 'chief'
    assert (await AuditEvent.get(event='staff_link_reissued')).detail['by'] == 'command line'
    with pytest.raises(InvalidInput) as caught:
        await accounts.reissue_link(None, 'nobody')
    assert caught.value.errors == {'login': 'Сотрудника с логином nobody нет'}
