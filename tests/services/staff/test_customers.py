"""The console's help for customers (issue 14, items 2, 3 and 7): finding a cabinet, what each role sees of it, what
an operator does for it, and an admin's export and erasure of its personal data — each refused to a role below it."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from tortoise import Tortoise

from models.billing import Account
from models.cabinet import Cabinet, CabinetState, Link, Session
from models.ebill import BillDelivery, EBill
from models.outbox import OutboxMessage, OutboxState
from models.readings import Reading, ReadingNotice
from models.security import AuditEvent, LinkToken
from models.staff import Staff, StaffRole
from services import clock
from services.billing import bounces, dispatch
from services.errors import AuthenticationFailed, InvalidInput, NotAllowed, TooManyAttempts
from services.identity import auth, recovery, registration, sessions
from services.staff.customers import cabinet_view, help_actions, personal_data, search
from services.staff.customers.lookup import CabinetGone
from services.staff.roles import StaffForbidden
from services.texts import in_language, t
from tests.support.delivery import deliver
from tests.support.factories import (
    GOOD,
    NUMBER,
    PERIOD,
    PHONE,
    add_customer_reading,
    make_account,
    make_cabinet,
    make_meter,
    registration_form,
    subscriber,
)
from tests.support.servers import Mailbox

TOO_LONG = 'Слишком длинное значение'
NOT_TEXT = 'Недопустимое значение'
REQUIRED = 'Заполните это поле'
FORBIDDEN = 'У вашей роли нет права на это действие.'
NOT_FOUND = 'Кабинет не найден: возможно, его уже удалили'
NOT_LINKED = 'Этот лицевой счёт не привязан к кабинету'
TVER = ('TVR', 'Тверь')


async def make_staff(role: StaffRole) -> Staff:
    return await Staff.create(login=f'{role}-1', role=role, created_at=clock.now())


@pytest.fixture
async def viewer(db, fake_clock) -> Staff:
    return await make_staff(StaffRole.VIEWER)


@pytest.fixture
async def operator(db, fake_clock) -> Staff:
    return await make_staff(StaffRole.OPERATOR)


@pytest.fixture
async def admin(db, fake_clock) -> Staff:
    return await make_staff(StaffRole.ADMIN)


async def refused(coroutine, error: type[Exception] = InvalidInput) -> Exception:
    with pytest.raises(error) as caught:
        await coroutine
    return caught.value


async def by_staff(staff: Staff, event: str) -> list[AuditEvent]:
    return await AuditEvent.filter(event=event, staff_id=staff.id).order_by('id')


# --- search ------------------------------------------------------------------------------------------------------


async def test_a_viewer_finds_an_email_only_whole(viewer, operator):
    # by its start, a viewer could rebuild a masked address a letter at a time
    await make_cabinet('semenov', 'dacha.semenov@example.ru')

    async def found(staff: Staff, query: str) -> list[str]:
        return [hit.login for hit in (await search.search(staff, query)).hits]

    assert await found(operator, 'dacha.sem') == ['semenov']
    assert await found(viewer, 'dacha.sem') == []
    assert await found(viewer, 'Dacha.Semenov@example.ru') == ['semenov']


async def test_search_by_login_email_phone_and_account_number(operator):
    ivanov = await make_cabinet('Ivanov', 'ivanov@example.ru', accounts=[NUMBER])
    await make_cabinet('petrov', phone='+79007654321', accounts=['461000000002'])

    async def logins(query: str, **options: object) -> list[str]:
        return [hit.login for hit in (await search.search(operator, query, **options)).hits]

    assert await logins('IVAN') == ['Ivanov']  # a login's start, in any case
    assert await logins('ivanov@example.ru') == ['Ivanov']
    assert await logins(' petrov@EXAMPLE.ru ') == ['petrov']
    assert await logins('8 (900) 123-45-67') == ['Ivanov']  # the phone as a customer says it
    assert await logins('+7 900 765-43-21') == ['petrov']
    assert await logins(NUMBER) == ['Ivanov']
    assert await logins('46100000000') == ['Ivanov', 'petrov']  # the start of a number
    assert await logins('sidorov') == []
    page = await search.search(operator, NUMBER)
    assert page.hits[0] == search.CustomerHit(
        cabinet_id=ivanov.id,
        login='Ivanov',
        state='active',
        email='ivanov@example.ru',
        phone=PHONE,
        surname=None,
        accounts=(NUMBER,),
    )


async def test_search_by_surname_folds_case_and_yo_and_keeps_to_the_region(operator):
    await make_account(NUMBER, surname='Семёнов')
    await make_account('691000000001', surname='СЕМЕНОВ', region=TVER)
    await make_account('461000000003', surname='Семенова')
    await make_cabinet('kursk', accounts=[NUMBER])
    await make_cabinet('tver', accounts=['691000000001'])
    await make_cabinet('daughter', accounts=['461000000003'])
    await make_cabinet('typed', surname='семёнов')  # a first entry's own surname, no account of that name

    async def logins(query: str, **options: object) -> list[str]:
        return [hit.login for hit in (await search.search(operator, query, **options)).hits]

    assert await logins('семенов') == ['kursk', 'tver', 'typed']
    assert await logins('СЕМЁНОВ', region='TVR') == ['tver']
    assert await logins('Семенов', region='KRS') == ['kursk']
    assert await logins('Семенова') == ['daughter']  # the whole surname, not its start
    assert (await refused(search.search(operator, 'Семенов', region='XXX'))).errors == {
        'region': 'Такого региона нет в данных биллинга'
    }
    assert [region.code for region in await search.regions(operator)] == ['KRS', 'TVR']


async def test_search_pages_through_the_cabinets_found(viewer):
    for number in range(45):
        await make_cabinet(f'user{number:02}', phone=None)
    first = await search.search(viewer, 'user')
    assert (first.total, first.page, first.pages, len(first.hits)) == (45, 1, 3, 20)
    assert [hit.login for hit in first.hits][:2] == ['user00', 'user01']
    last = await search.search(viewer, 'user', page=3)
    assert [hit.login for hit in last.hits] == ['user40', 'user41', 'user42', 'user43', 'user44']
    assert (await search.search(viewer, 'user', page=99)).page == 3  # past the end: the last page
    assert (await search.search(viewer, 'user', page=' 2 ')).page == 2  # as a form's field holds it
    for crafted in ('two', None, True, -1, 0, 2.5, [2], '9' * 1_000_000):
        assert set((await refused(search.search(viewer, 'user', page=crafted))).errors) == {'page'}
    nothing = await search.search(viewer, 'nobody')
    assert (nothing.hits, nothing.total, nothing.page, nothing.pages) == ((), 0, 1, 1)


async def test_search_wildcards_are_text(viewer):
    await make_cabinet('ivan_ov')
    await make_cabinet('ivanXov')
    await make_cabinet('maria')
    assert [hit.login for hit in (await search.search(viewer, 'ivan_')).hits] == ['ivan_ov']
    assert (await search.search(viewer, '%')).total == 0
    assert (await search.search(viewer, '_')).total == 0


async def test_a_megabyte_query_or_no_text_is_refused_at_the_field(viewer):
    await make_cabinet('ivanov')
    assert (await refused(search.search(viewer, 'a' * 1_000_000))).errors == {'query': TOO_LONG}
    assert (await refused(search.search(viewer, {'login': 'ivanov'}))).errors == {'query': NOT_TEXT}
    assert (await refused(search.search(viewer, 'ivanov', region=['KRS']))).errors == {'region': NOT_TEXT}
    assert (await refused(search.search(viewer, ' \t '))).errors == {'query': REQUIRED}
    assert (await refused(search.search(viewer, None))).errors == {'query': REQUIRED}


async def test_a_viewer_finds_contacts_masked(viewer):
    await make_cabinet('ivanov', accounts=[NUMBER])
    hit = (await search.search(viewer, 'ivanov')).hits[0]
    assert (hit.email, hit.phone) == ('i***@example.ru', '+7900***4567')


# --- the cabinet view --------------------------------------------------------------------------------------------


async def test_the_view_shows_state_lockout_accounts_sessions_events_and_consents(operator, mailbox, fake_clock):
    cabinet = (await registration.register_by_login(registration_form(), ip='10.0.0.1')).cabinet
    await deliver()
    await registration.confirm_email(Mailbox.token(mailbox.wait_for('ivanov@example.ru')[0]), ip='10.0.0.1')
    await Link.create(cabinet=cabinet, account=await make_account(), proof='address', linked_at=clock.now())
    _, token = await auth.login('ivanov', GOOD, ip='10.0.0.2')
    fake_clock.advance(hours=1)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip='10.0.0.3')

    view = await cabinet_view.cabinet_view(operator, cabinet.id)
    assert (view.login, view.state, view.email, view.email_confirmed) == ('ivanov', 'active', 'ivanov@example.ru', True)
    assert view.lockout_left > timedelta(0) and view.locked
    assert view.accounts == (cabinet_view.LinkedAccount(NUMBER, 'Курск', 'address', clock.now() - timedelta(hours=1)),)
    (session,) = view.sessions
    assert (session.ip, session.live) == ('10.0.0.2', False)  # idle for an hour
    events = [event.event for event in view.events]
    assert events[:2] == ['lockout', 'login_failure'] and {'registration', 'consent', 'login_success'} <= set(events)
    assert [(consent.kind, consent.text_version) for consent in view.consents] == [
        ('personal_data', registration.CONSENT_VERSION)
    ]
    assert not view.contacts_masked
    assert await sessions.resolve(token) is None  # timed out, as the view said


async def test_the_view_lists_messages_without_their_bodies_and_masks_contacts_for_viewers(viewer, operator, mailbox):
    outcome = await registration.register_by_login(registration_form(phone=PHONE), ip='10.0.0.1')
    await deliver()
    link = Mailbox.link(mailbox.wait_for('ivanov@example.ru')[0])
    await OutboxMessage.create(
        channel='email',
        recipient='ivanov@example.ru',
        subject='Квитанция',
        body_text='the text',
        state=OutboxState.FAILED,
        attempts=3,
        last_error='recipient refused: 550 5.1.1 <ivanov@example.ru>: no such user',
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )
    await OutboxMessage.create(
        channel='email',
        recipient='someone@example.ru',
        body_text='not theirs',
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )

    whole = await cabinet_view.cabinet_view(operator, outcome.cabinet.id)
    assert [(m.state, m.attempts, m.recipient) for m in whole.messages] == [
        ('failed', 3, 'ivanov@example.ru'),
        ('sent', 1, 'ivanov@example.ru'),
    ]
    assert whole.messages[1].sent_at is not None
    assert '<ivanov@example.ru>' in whole.messages[0].last_error
    token = link.split('token=')[1]
    assert token not in repr(whole) and 'the text' not in repr(whole)

    masked = await cabinet_view.cabinet_view(viewer, outcome.cabinet.id)
    assert masked.contacts_masked
    assert (masked.email, masked.phone, masked.state) == ('i***@example.ru', '+7900***4567', 'pending')
    assert [m.recipient for m in masked.messages] == ['i***@example.ru', 'i***@example.ru']
    assert masked.messages[0].last_error == 'recipient refused: 550 5.1.1 <i***@example.ru>: no such user'
    assert 'ivanov@' not in repr(masked) and '1234567' not in repr(masked)


async def test_the_view_shows_each_linked_accounts_ebill_and_its_bounces(viewer, operator):
    cabinet = await make_cabinet('ivanov')
    ebill = await subscriber(cabinet)
    await bounces.record_bounce(ebill.id, 'recipient refused: 550 5.1.1 <semenov@example.ru>: no such user')
    neighbour = await make_cabinet('neighbour')
    await subscriber(neighbour, '461000000002', 'n@example.ru')
    await Link.create(
        cabinet=cabinet, account=await Account.get(number='461000000002'), proof='payment', linked_at=clock.now()
    )

    rows = (await cabinet_view.cabinet_view(operator, cabinet.id)).ebills
    assert [(row.number, row.enabled, row.email, row.bounces, row.managed_here) for row in rows] == [
        (NUMBER, True, 'semenov@example.ru', 1, True),
        ('461000000002', True, 'n@example.ru', 0, False),
    ]
    assert '5.1.1' in rows[0].last_bounce
    masked = (await cabinet_view.cabinet_view(viewer, cabinet.id)).ebills
    assert [(row.email, row.last_bounce) for row in masked] == [('s***@example.ru', ''), ('n***@example.ru', '')]


async def test_each_list_of_the_view_is_the_latest_few(viewer, fake_clock):
    cabinet = await make_cabinet('ivanov')
    for number in range(cabinet_view.EVENTS + 5):
        await sessions.start(cabinet, f'10.0.0.{number}')
        await auth.logout(None, cabinet.id)  # an audit row each
        fake_clock.advance(seconds=1)
    view = await cabinet_view.cabinet_view(viewer, cabinet.id)
    assert len(view.sessions) == cabinet_view.SESSIONS and view.sessions[0].ip == '10.0.0.54'
    assert len(view.events) == cabinet_view.EVENTS and view.events[0].at == clock.now() - timedelta(seconds=1)


@pytest.mark.parametrize('crafted', [0, -1, 10**20, '1', None, True, 1.0, [1], {'id': 1}])
async def test_a_crafted_cabinet_id_is_not_found(viewer, crafted):
    await make_cabinet('ivanov')
    error = await refused(cabinet_view.cabinet_view(viewer, crafted), CabinetGone)
    assert error.message == NOT_FOUND


# --- role refusals -----------------------------------------------------------------------------------------------


def actions(cabinet_id: int) -> dict[str, object]:
    return {
        'unlock': lambda staff: help_actions.unlock(staff, cabinet_id),
        'end_session': lambda staff: help_actions.end_session(staff, cabinet_id, '0' * 16),
        'end_all_sessions': lambda staff: help_actions.end_all_sessions(staff, cabinet_id),
        'resend_confirmation': lambda staff: help_actions.resend_confirmation(staff, cabinet_id),
        'unlink_account': lambda staff: help_actions.unlink_account(staff, cabinet_id, '461000000002', 'asked'),
        'turn_off_ebill': lambda staff: help_actions.turn_off_ebill(staff, cabinet_id, NUMBER),
        'export_cabinet': lambda staff: personal_data.export_cabinet(staff, cabinet_id),
        'erase_cabinet': lambda staff: personal_data.erase_cabinet(staff, cabinet_id, 'request 1'),
    }


OPERATOR_ACTIONS = [
    'unlock',
    'end_session',
    'end_all_sessions',
    'resend_confirmation',
    'unlink_account',
    'turn_off_ebill',
]


@pytest.mark.parametrize('action', [*OPERATOR_ACTIONS, 'export_cabinet', 'erase_cabinet'])
async def test_a_viewer_only_reads(viewer, action):
    cabinet = await make_cabinet('ivanov', email_confirmed=False, accounts=[NUMBER, '461000000002'])
    await sessions.start(cabinet, '10.0.0.1')
    before = await AuditEvent.all().count()
    error = await refused(actions(cabinet.id)[action](viewer), StaffForbidden)
    assert error.message == FORBIDDEN
    assert await AuditEvent.all().count() == before
    assert await Link.filter(cabinet=cabinet).count() == 2 and await Session.filter(cabinet=cabinet).count() == 1
    assert await OutboxMessage.all().count() == 0


@pytest.mark.parametrize('action', ['export_cabinet', 'erase_cabinet'])
async def test_personal_data_requests_are_an_admins(operator, action):
    cabinet = await make_cabinet('ivanov')
    await refused(actions(cabinet.id)[action](operator), StaffForbidden)
    assert await Cabinet.exists(id=cabinet.id)
    assert not await AuditEvent.exists(staff_id=operator.id)


# --- actions -----------------------------------------------------------------------------------------------------


async def test_unlock_lifts_the_lockout_and_the_customer_logs_in(operator):
    cabinet = await make_cabinet('ivanov', password=GOOD, state=CabinetState.LOCKED)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await auth.login('ivanov', 'wrong-password', ip='10.0.0.3')
    with pytest.raises(TooManyAttempts):
        await auth.login('ivanov', GOOD, ip='10.0.0.3')

    await help_actions.unlock(operator, cabinet.id)
    view = await cabinet_view.cabinet_view(operator, cabinet.id)
    assert (view.state, view.lockout_left, view.locked) == ('active', timedelta(0), False)
    await auth.login('ivanov', GOOD, ip='10.0.0.3')
    (event,) = await by_staff(operator, 'unlock')
    assert (event.cabinet_id, event.login) == (cabinet.id, 'ivanov')


async def test_end_one_session(operator):
    cabinet = await make_cabinet('ivanov')
    kept, ended = await sessions.start(cabinet, '10.0.0.1'), await sessions.start(cabinet, '10.0.0.2')
    (row,) = [row for row in (await cabinet_view.cabinet_view(operator, cabinet.id)).sessions if row.ip == '10.0.0.2']
    assert await help_actions.end_session(operator, cabinet.id, row.ref)
    assert await sessions.resolve(ended) is None and await sessions.resolve(kept) is not None
    assert not await help_actions.end_session(operator, cabinet.id, row.ref)  # the second click: ended already
    for crafted in ('', 'zz' * 8, '%' * 16, None, 5, ['a' * 16], 'a' * 1_000_000):
        assert not await help_actions.end_session(operator, cabinet.id, crafted)
    other = await make_cabinet('petrov')
    foreign = await sessions.start(other, '10.0.0.9')
    (their,) = (await cabinet_view.cabinet_view(operator, other.id)).sessions
    assert not await help_actions.end_session(operator, cabinet.id, their.ref)  # another cabinet's session
    assert await sessions.resolve(foreign) is not None and await sessions.resolve(kept) is not None
    assert len(await by_staff(operator, 'session_ended')) == 1


async def test_end_all_sessions_also_kills_links_in_flight(operator):
    cabinet = await make_cabinet('ivanov')
    tokens = [await sessions.start(cabinet, f'10.0.0.{n}') for n in range(3)]
    await recovery.request_reset('ivanov', ip='10.0.0.1')
    assert await LinkToken.filter(cabinet=cabinet, used_at=None).count() == 1

    await help_actions.end_all_sessions(operator, cabinet.id)
    assert [await sessions.resolve(token) for token in tokens] == [None, None, None]
    assert await LinkToken.filter(cabinet=cabinet, used_at=None).count() == 0
    assert len(await by_staff(operator, 'sessions_ended')) == 1


async def test_resend_the_confirmation_email_in_the_cabinets_language(operator, mailbox, fake_clock):
    outcome = await registration.register_by_login(registration_form(), ip='10.0.0.1')
    cabinet = outcome.cabinet
    await Cabinet.filter(id=cabinet.id).update(language='en')
    await deliver()
    first = Mailbox.token(mailbox.wait_for('ivanov@example.ru')[0])
    fake_clock.advance(hours=20)

    await help_actions.resend_confirmation(operator, cabinet.id)
    await deliver()
    again = mailbox.wait_for('ivanov@example.ru', 2)[1]
    with in_language('en'):
        assert again['Subject'] == t('mail.confirm.subject')
    assert (await Cabinet.get(id=cabinet.id)).pending_until == clock.now() + timedelta(hours=24)
    assert await registration.confirm_email(first, ip=None) is None  # the first link died
    fake_clock.advance(hours=10)  # past the first registration's deadline: the new link still works
    confirmed = await registration.confirm_email(Mailbox.token(again), ip=None)
    assert confirmed is not None and confirmed.state == CabinetState.ACTIVE
    (event,) = await by_staff(operator, 'confirmation_resent')
    assert event.detail == {'email': 'i***@example.ru'}

    error = await refused(help_actions.resend_confirmation(operator, cabinet.id), NotAllowed)
    assert error.message == 'Подтверждать нечего: email кабинета уже подтверждён или не указан'


async def test_resending_is_capped_as_mail_to_an_unproven_address(operator):
    cabinet = await make_cabinet('ivanov', email_confirmed=False)
    for _ in range(3):
        await help_actions.resend_confirmation(operator, cabinet.id)
    await refused(help_actions.resend_confirmation(operator, cabinet.id), TooManyAttempts)
    assert await OutboxMessage.filter(recipient='ivanov@example.ru').count() == 3


async def test_unlink_with_a_reason_turns_off_the_ebill_this_cabinet_manages(operator, mailbox):
    cabinet = await make_cabinet('ivanov', language='en')
    await subscriber(cabinet)
    account = await Account.get(number=NUMBER)
    await ReadingNotice.create(
        cabinet=cabinet, account=account, remind_email=True, created_at=clock.now(), updated_at=clock.now()
    )
    other = await make_account('461000000002')
    neighbour = await make_cabinet('neighbour', accounts=['461000000002'])
    await EBill.create(account=other, cabinet=neighbour, email='n@example.ru', enabled=True, updated_at=clock.now())
    await Link.create(cabinet=cabinet, account=other, proof='payment', linked_at=clock.now())

    await help_actions.unlink_account(operator, cabinet.id, f' {NUMBER} ', ' the link was a mistake ')
    await help_actions.unlink_account(operator, cabinet.id, '461000000002', 'asked on the phone')
    assert not await Link.exists(cabinet=cabinet)
    assert not (await EBill.get(account=account)).enabled
    assert (await EBill.get(account=other)).enabled  # the co-holder's stays
    assert not await ReadingNotice.exists(cabinet=cabinet)
    await deliver()
    with in_language('en'):
        assert mailbox.wait_for('semenov@example.ru')[0]['Subject'] == t('mail.ebill_off.subject')
    first, second = await by_staff(operator, 'unlink')
    assert first.detail == {
        'account': NUMBER,
        'reason': 'the link was a mistake',
        'ebill_off': True,
        'reading_notices_dropped': True,
    }
    assert (second.detail['ebill_off'], second.cabinet_id) == (False, cabinet.id)


async def test_unlink_refusals(operator):
    cabinet = await make_cabinet('461000000009', accounts=['461000000009', NUMBER])
    unlink = help_actions.unlink_account
    assert (await refused(unlink(operator, cabinet.id, NUMBER, ' '))).errors == {'reason': REQUIRED}
    assert (await refused(unlink(operator, cabinet.id, '', ''))).errors == {'account': REQUIRED, 'reason': REQUIRED}
    assert (await refused(unlink(operator, cabinet.id, NUMBER, 'x' * 1_000_000))).errors == {'reason': TOO_LONG}
    assert (await refused(unlink(operator, cabinet.id, 461000000001, 'why'))).errors == {'account': NOT_TEXT}
    assert (await refused(unlink(operator, cabinet.id, '000', 'why'))).errors == {'account': NOT_LINKED}
    error = await refused(unlink(operator, cabinet.id, '461000000009', 'why'), NotAllowed)
    assert error.message == 'Номер этого лицевого счёта — логин кабинета, его нельзя отвязать'
    assert await Link.filter(cabinet=cabinet).count() == 2
    assert not await AuditEvent.exists(staff_id=operator.id)


async def test_two_clicks_on_unlink_unlink_once(operator):
    cabinet = await make_cabinet('ivanov', accounts=[NUMBER])
    outcomes = await asyncio.gather(
        *(help_actions.unlink_account(operator, cabinet.id, NUMBER, 'asked') for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ['InvalidInput', 'NoneType']
    assert len(await by_staff(operator, 'unlink')) == 1


async def test_turn_off_a_bouncing_ebill(operator, mailbox):
    cabinet = await make_cabinet('ivanov')
    ebill = await subscriber(cabinet)
    await bounces.record_bounce(ebill.id, 'recipient refused: 550 5.2.2 mailbox full')

    assert await help_actions.turn_off_ebill(operator, cabinet.id, NUMBER)
    assert not (await EBill.get(id=ebill.id)).enabled
    assert not await help_actions.turn_off_ebill(operator, cabinet.id, NUMBER)  # off already
    await deliver()
    assert mailbox.wait_for('semenov@example.ru')[0]['Subject'] == t('mail.ebill_off.subject')
    (event,) = await by_staff(operator, 'ebill_off')
    assert event.detail == {'account': NUMBER, 'email': 's***@example.ru', 'bounces': 1}

    neighbour = await make_cabinet('neighbour', accounts=[NUMBER])
    await EBill.filter(id=ebill.id).update(enabled=True)
    error = await refused(help_actions.turn_off_ebill(operator, neighbour.id, NUMBER), NotAllowed)
    assert error.message == 'Квитанцией по этому счёту управляет другой кабинет, владеющий счётом: отключите её там'
    assert (await refused(help_actions.turn_off_ebill(operator, cabinet.id, '000'))).errors == {'account': NOT_LINKED}
    assert (await refused(help_actions.turn_off_ebill(operator, cabinet.id, None))).errors == {'account': REQUIRED}
    assert (await EBill.get(id=ebill.id)).enabled


# --- personal data -----------------------------------------------------------------------------------------------

#: what identifies Zaytseva: her login (also in both her email addresses) and her phone, as stored and as digits
HERS = ('zaytseva', '+79005554433', '9005554433')


async def zaytseva(sms) -> Cabinet:
    """A customer with a bit of everything: registered and confirmed, a phone asked for too often, a failed and a good
    login, an account with an e-bill that got its bill, reading notices and a reading, a password reset in flight."""
    form = registration_form(login='zaytseva', email='zaytseva@example.ru')
    cabinet = (await registration.register_by_login(form, ip='192.0.2.7')).cabinet
    await deliver()
    (link,) = await LinkToken.filter(cabinet=cabinet).values_list('id', flat=True)
    await Cabinet.filter(id=cabinet.id).update(
        state=CabinetState.ACTIVE, email_confirmed_at=clock.now(), phone=HERS[1], phone_confirmed_at=clock.now()
    )
    for _ in range(5):
        await registration.send_registration_code(HERS[1], ip='192.0.2.7')
    with pytest.raises(TooManyAttempts):  # over the limit: its audit row names the phone
        await registration.send_registration_code(HERS[1], ip='192.0.2.7')
    with pytest.raises(AuthenticationFailed):
        await auth.login('zaytseva', 'wrong-password', ip='192.0.2.7')
    await auth.login('zaytseva', GOOD, ip='192.0.2.7')
    cabinet = await Cabinet.get(id=cabinet.id)
    ebill = await subscriber(cabinet, email='zaytseva.bills@example.ru')
    await dispatch.dispatch(PERIOD)
    await deliver()
    account = await Account.get(number=NUMBER)
    await ReadingNotice.create(
        cabinet=cabinet, account=account, confirm_sms=True, created_at=clock.now(), updated_at=clock.now()
    )
    await add_customer_reading(await make_meter(account), '2026-11-20', '1234', '567', cabinet=cabinet)
    await recovery.request_reset('zaytseva', ip='192.0.2.7')
    assert link and ebill and await BillDelivery.exists(ebill=ebill)
    return cabinet


async def stored_text() -> str:
    """Every row of every table, as text."""
    rows = []
    for model in Tortoise.apps.get_models_iterable():
        rows += [repr(row) for row in await model.all().values()]
    return '\n'.join(rows)


async def test_export_holds_everything_stored_and_no_secret(admin, sms, fake_clock):
    cabinet = await zaytseva(sms)
    await make_cabinet('neighbour', accounts=[NUMBER])

    export = await personal_data.export_cabinet(admin, cabinet.id)
    assert json.loads(json.dumps(export)) == export
    assert export['cabinet']['login'] == 'zaytseva' and export['cabinet']['phone'] == HERS[1]
    assert export['cabinet']['state'] == 'active'
    assert [row['number'] for row in export['accounts']] == [NUMBER]
    assert [row['ip'] for row in export['sessions']] == ['192.0.2.7']
    assert {row['kind'] for row in export['consents']} == {'personal_data'}
    assert [(row['account'], row['email']) for row in export['ebills']] == [(NUMBER, 'zaytseva.bills@example.ru')]
    assert [(row['period'], row['state']) for row in export['bill_deliveries']] == [(PERIOD, 'sent')]
    assert [row['confirm_sms'] for row in export['reading_notices']] == [True]
    assert [(row['t1'], row['meter']) for row in export['readings']] == [('1234.0000', '011-0042')]
    assert {row['purpose'] for row in export['links_sent']} == {'confirm_email', 'reset_password'}
    events = {row['event'] for row in export['audit_events']}
    assert {'registration', 'consent', 'login_failure', 'login_success', 'reset_request'} <= events
    recipients = {row['recipient'] for row in export['messages']}
    assert recipients == {'zaytseva@example.ru', 'zaytseva.bills@example.ru', HERS[1]}

    text = json.dumps(export, ensure_ascii=False)
    stored = await Cabinet.get(id=cabinet.id)
    secrets = [stored.password_hash, *await Session.filter(cabinet=cabinet).values_list('id', flat=True)]
    secrets += await LinkToken.filter(cabinet=cabinet).values_list('token_hash', flat=True)
    secrets += [body for body in await OutboxMessage.all().values_list('body_text', flat=True) if body]
    assert [secret for secret in secrets if secret in text] == []
    assert 'password_hash' not in text and 'body_text' not in text and 'code_hash' not in text
    (event,) = await by_staff(admin, 'cabinet_exported')
    assert event.cabinet_id == cabinet.id


async def test_erase_leaves_no_personal_data_and_a_pseudonymous_audit(admin, sms, fake_clock):
    cabinet = await zaytseva(sms)
    neighbour = await make_cabinet('neighbour', accounts=[NUMBER])
    neighbours_session = await sessions.start(neighbour, '10.0.0.5')
    ids = await AuditEvent.filter(cabinet_id=cabinet.id).values_list('id', flat=True)
    before = await stored_text()
    assert all(value in before for value in HERS)

    alias = await personal_data.erase_cabinet(admin, cabinet.id, ' request №15 of 1 December ')
    after = await stored_text()
    assert [value for value in HERS if value in after] == []
    assert alias == personal_data.pseudonym(cabinet.id) and alias.startswith('erased-')
    assert not await Cabinet.exists(id=cabinet.id)
    # the utility's billing data stays, and the reading as the account's
    assert await Account.exists(number=NUMBER)
    (reading,) = await Reading.all()
    assert reading.cabinet_id is None
    # the bill went out: its message stays as sent, with no one's address or text
    (bill_email,) = await OutboxMessage.filter(attachment__not_isnull=True)
    assert (bill_email.recipient, bill_email.state, bill_email.body_text) == (alias, OutboxState.SENT, '')
    # what happened stays, under the pseudonym
    kept = await AuditEvent.filter(id__in=ids)
    assert len(kept) == len(ids) and {event.login for event in kept} == {alias}
    assert {event.ip for event in kept} == {None}
    assert [event.detail for event in await AuditEvent.filter(event='sms_limit')] == [{'phone': alias}] * 2
    (erased,) = await by_staff(admin, 'cabinet_erased')
    assert (erased.cabinet_id, erased.login, erased.detail['reason']) == (
        cabinet.id,
        alias,
        'request №15 of 1 December',
    )
    # another customer of the same account is untouched
    assert await sessions.resolve(neighbours_session) is not None
    assert await Link.exists(cabinet=neighbour)


async def test_erase_needs_a_reason_and_happens_once(admin):
    cabinet = await make_cabinet('ivanov')
    erase = personal_data.erase_cabinet
    assert (await refused(erase(admin, cabinet.id, '  '))).errors == {'reason': REQUIRED}
    assert (await refused(erase(admin, cabinet.id, 'x' * 1_000_000))).errors == {'reason': TOO_LONG}
    assert (await refused(erase(admin, cabinet.id, None))).errors == {'reason': REQUIRED}
    assert await Cabinet.exists(id=cabinet.id)
    outcomes = await asyncio.gather(*(erase(admin, cabinet.id, 'request 2') for _ in range(2)), return_exceptions=True)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ['CabinetGone', 'str']
    assert len(await by_staff(admin, 'cabinet_erased')) == 1
    await refused(personal_data.export_cabinet(admin, cabinet.id), CabinetGone)


async def test_erasing_keeps_a_shared_address_for_its_other_cabinet(admin):
    cabinet = await make_cabinet('ivanov', email='family@example.ru')
    await make_cabinet('ivanova', email='family@example.ru', phone='+79001112233')
    message = await OutboxMessage.create(
        channel='email',
        recipient='family@example.ru',
        body_text='for the family',
        next_attempt_at=clock.now(),
        created_at=clock.now(),
    )
    await personal_data.erase_cabinet(admin, cabinet.id, 'request 3')
    assert (await OutboxMessage.get(id=message.id)).recipient == 'family@example.ru'
    assert await Cabinet.exists(email='family@example.ru')
