"""Flow 6: «Подключение получения квитанции на электронную почту» — per account on/off, the delivery address proved
by a link unless it is the cabinet's confirmed email, the 10-accounts-per-address quota, and bounces."""

from __future__ import annotations

import asyncio

import pytest

from models.cabinet import Cabinet, Consent
from models.ebill import EBill
from models.security import AuditEvent
from services.billing import bounces, ebill
from services.errors import InvalidInput, NotAllowed
from tests.support.delivery import deliver
from tests.support.factories import NUMBER, PHONE, link_accounts, make_cabinet
from tests.support.servers import Mailbox, SmsInbox
from tests.support.settings import configure

OWN = 'ivanov@example.ru'
OTHER = 'dacha@example.ru'
SECOND = '461000000002'
BOUNCE = '550 5.1.1 <dacha@example.ru>: mailbox unavailable'


async def holder(**values: object) -> Cabinet:
    """Ivanov's cabinet (`values` as make_cabinet takes them) holding NUMBER and SECOND."""
    return await make_cabinet(**values, accounts=(NUMBER, SECOND))  # type: ignore[arg-type]


async def link_token(mailbox: Mailbox, address: str = OTHER, count: int = 1) -> str:
    await deliver()
    message = mailbox.wait_for(address, count)[count - 1]
    assert message['Subject'] == 'Подтверждение адреса для получения квитанций'
    url = Mailbox.link(message)
    assert url.startswith('http://portal.test/ebill-confirm?token=')
    return url.split('token=')[1]


async def stored(number: str = NUMBER) -> EBill:
    return await EBill.get(account__number=number)


async def events() -> list[str]:
    return await AuditEvent.filter(event__startswith='ebill').order_by('id').values_list('event', flat=True)


# --- the settings block ----------------------------------------------------------------------------------------


async def test_states_list_linked_accounts_in_order_prefilled_with_the_cabinet_email(db, fake_clock):
    cabinet = await make_cabinet()
    await link_accounts(cabinet, SECOND)
    fake_clock.advance(minutes=1)
    await link_accounts(cabinet, NUMBER)
    states = await ebill.ebill_states(cabinet)
    assert [(s.account.number, s.account.region.name) for s in states] == [(SECOND, 'Курск'), (NUMBER, 'Курск')]
    assert [(s.enabled, s.email, s.pending_confirmation, s.bouncing, s.last_bounce) for s in states] == [
        (False, OWN, False, False, '')
    ] * 2
    await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    assert [s.email for s in await ebill.ebill_states(cabinet)] == [OWN, OTHER]  # the subscription's own address


async def test_cabinet_without_email_gets_an_empty_field(db):
    cabinet = await holder(email=None)
    assert [s.email for s in await ebill.ebill_states(cabinet)] == ['', '']
    assert await ebill.ebill_states(await make_cabinet('petrov', 'p@example.ru')) == []


# --- turning on ------------------------------------------------------------------------------------------------


async def test_the_cabinets_confirmed_email_is_active_at_once_with_the_consent_stored(db, mailbox, fake_clock):
    cabinet = await holder()
    state = await ebill.save_ebill(cabinet, f' {NUMBER} ', True, ' Ivanov@Example.RU ', ip='10.0.0.7')
    assert (state.account.number, state.account.region.name) == (NUMBER, 'Курск')
    assert (state.enabled, state.email, state.pending_confirmation, state.bouncing) == (True, OWN, False, False)
    row = await stored()
    assert (row.email, row.enabled, row.cabinet_id) == (OWN, True, cabinet.id)
    assert row.email_confirmed_at == fake_clock.current
    assert (row.consent_version, row.consent_at, row.consent_ip) == ('2026-11', fake_clock.current, '10.0.0.7')
    consent = await Consent.get(cabinet=cabinet, kind='ebill')
    assert (consent.text_version, consent.given_at, consent.ip) == ('2026-11', fake_clock.current, '10.0.0.7')
    audit = await AuditEvent.get(event='ebill_consent')
    assert (audit.cabinet_id, audit.ip) == (cabinet.id, '10.0.0.7')
    assert audit.detail == {
        'account': NUMBER,
        'version': '2026-11',
        'email': 'i***@example.ru',
        'confirmed': True,
    }
    await deliver()
    assert mailbox.messages == []  # the address is proved already: nothing to confirm
    assert not await EBill.exists(account__number=SECOND)


async def test_another_address_waits_for_its_link(db, mailbox, fake_clock):
    cabinet = await holder()
    state = await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    assert (state.enabled, state.email, state.pending_confirmation) == (True, OTHER, True)
    assert (await stored()).email_confirmed_at is None  # the dispatch sends only to confirmed addresses
    raw = await link_token(mailbox)
    text = Mailbox.text(mailbox.to(OTHER)[0])
    assert NUMBER in text and '24 часа' in text
    fake_clock.advance(hours=23)
    account = await ebill.confirm_ebill(raw, ip='10.0.0.8')
    assert account is not None and (account.number, account.region.name) == (NUMBER, 'Курск')
    assert (await stored()).email_confirmed_at == fake_clock.current
    assert [s.pending_confirmation for s in await ebill.ebill_states(cabinet)] == [False, False]
    assert await ebill.confirm_ebill(raw, ip=None) is None  # single use
    assert await events() == ['ebill_consent', 'ebill_confirmed', 'ebill_confirm_failure']


async def test_an_unconfirmed_cabinet_email_is_proved_by_a_link_too(db, mailbox):
    cabinet = await holder(email_confirmed=False)
    assert (await ebill.save_ebill(cabinet, NUMBER, True, OWN, ip=None)).pending_confirmation
    assert await ebill.confirm_ebill(await link_token(mailbox, OWN), ip=None) is not None


async def test_an_address_the_cabinet_proved_serves_its_other_accounts_at_once(db, mailbox):
    cabinet = await holder()
    await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    await ebill.confirm_ebill(await link_token(mailbox), ip=None)
    assert not (await ebill.save_ebill(cabinet, SECOND, True, OTHER, ip=None)).pending_confirmation
    await deliver()
    assert len(mailbox.to(OTHER)) == 1


async def test_links_to_two_addresses_both_work_and_one_link_serves_all_accounts_waiting_on_it(db, mailbox):
    cabinet = await holder()
    await link_accounts(cabinet, '461000000003')
    await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    await ebill.save_ebill(cabinet, SECOND, True, 'work@example.ru', ip=None)
    await ebill.save_ebill(cabinet, '461000000003', True, OTHER, ip=None)
    first_to_other = await link_token(mailbox)
    to_work = await link_token(mailbox, 'work@example.ru')
    assert (await ebill.confirm_ebill(to_work, ip=None)).number == SECOND
    assert (await ebill.confirm_ebill(first_to_other, ip=None)).number == NUMBER
    assert [s.pending_confirmation for s in await ebill.ebill_states(cabinet)] == [False, False, False]


@pytest.mark.parametrize(('typed', 'message'), [('  ', 'Заполните это поле'), ('dacha@', 'Неверный адрес')])
async def test_a_bad_address_is_refused_at_its_field(db, mailbox, typed, message):
    cabinet = await holder()
    with pytest.raises(InvalidInput) as caught:
        await ebill.save_ebill(cabinet, NUMBER, True, typed, ip=None)
    assert message in caught.value.errors['email']
    assert not await EBill.exists()


async def test_an_account_not_linked_to_the_cabinet_is_refused(db, mailbox):
    cabinet = await holder()
    stranger = await make_cabinet('petrov', 'p@example.ru')
    await link_accounts(stranger, '691000000001')
    for number in ('691000000001', '000000000000', ''):
        with pytest.raises(NotAllowed, match='не привязан к вашему кабинету'):
            await ebill.save_ebill(cabinet, number, True, OWN, ip='10.0.0.9')
    assert not await EBill.exists()
    refused = await AuditEvent.filter(event='ebill_refused').values_list('ip', 'detail')
    assert refused[0] == ('10.0.0.9', {'account': '691000000001', 'outcome': 'not_linked'})


# --- the 10 accounts per address -------------------------------------------------------------------------------


async def test_an_address_serves_at_most_10_accounts_across_cabinets(db, mailbox):
    numbers = [f'4610000001{n:02}' for n in range(11)]
    # the address proven in both cabinets (links to unproven addresses are capped: tests/security/)
    household = await make_cabinet('family', OTHER)
    await link_accounts(household, *numbers[:4])
    cabinet = await make_cabinet()
    await link_accounts(cabinet, *numbers[4:])
    for number in numbers[:4]:
        await ebill.save_ebill(household, number, True, OTHER, ip=None)
    await ebill.save_ebill(cabinet, numbers[4], True, OTHER, ip=None)
    await ebill.confirm_ebill(await link_token(mailbox), ip=None)
    for number in numbers[5:10]:
        await ebill.save_ebill(cabinet, number, True, OTHER, ip=None)
    with pytest.raises(InvalidInput) as caught:
        await ebill.save_ebill(cabinet, numbers[10], True, 'DACHA@example.ru', ip=None)
    assert caught.value.errors == {
        'email': 'На один адрес электронной почты можно зарегистрировать не более 10 лицевых счетов'
    }
    assert not await EBill.exists(account__number=numbers[10])
    assert await Consent.filter(kind='ebill').count() == 10
    assert await AuditEvent.filter(event='ebill_refused').values_list('detail', flat=True) == [
        {'account': numbers[10], 'outcome': 'email_quota'}
    ]
    # a subscription turned off frees its place; its account can take another address meanwhile
    await ebill.save_ebill(household, numbers[0], False, '', ip=None)
    assert (await ebill.save_ebill(cabinet, numbers[10], True, OTHER, ip=None)).enabled
    assert (await ebill.save_ebill(household, numbers[0], True, 'family@example.ru', ip=None)).enabled
    assert await EBill.filter(email=OTHER, enabled=True).count() == 10


async def test_parallel_saves_cannot_overrun_the_quota(db, monkeypatch):
    configure(monkeypatch, accounts_per_email=2)
    numbers = [f'46100000010{n}' for n in range(6)]
    cabinet = await make_cabinet()
    await link_accounts(cabinet, *numbers)
    results = await asyncio.gather(
        *(ebill.save_ebill(cabinet, number, True, OTHER, ip=None) for number in numbers), return_exceptions=True
    )
    assert sorted(type(result).__name__ for result in results) == ['EBillState'] * 2 + ['InvalidInput'] * 4
    assert await EBill.filter(email=OTHER, enabled=True).count() == 2


async def test_a_double_click_subscribes_once(db, mailbox):
    cabinet = await holder()
    await asyncio.gather(*(ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None) for _ in range(2)))
    assert await EBill.filter(account__number=NUMBER).count() == 1
    assert await Consent.filter(kind='ebill').count() == 1
    await deliver()
    assert len(mailbox.to(OTHER)) == 1


# --- changes, turning off, dead links --------------------------------------------------------------------------


async def test_saving_nothing_changed_changes_and_sends_nothing(db, mailbox, fake_clock):
    cabinet = await holder()
    await ebill.save_ebill(cabinet, SECOND, False, OWN, ip=None)  # off and never on: no row at all
    await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    await deliver()
    mailbox.clear()
    before = await stored()
    audited = await AuditEvent.all().count()
    fake_clock.advance(hours=1)
    state = await ebill.save_ebill(cabinet, NUMBER, True, ' Dacha@Example.ru', ip='10.0.0.2')
    assert (state.enabled, state.pending_confirmation) == (True, True)
    after = await stored()
    assert (after.updated_at, after.consent_at, after.consent_ip) == (before.updated_at, before.consent_at, None)
    assert await AuditEvent.all().count() == audited
    assert not await EBill.exists(account__number=SECOND)
    await deliver()
    assert mailbox.messages == []


async def test_turning_off_is_one_click_confirmed_by_an_email(db, mailbox, fake_clock):
    cabinet = await holder()
    await ebill.save_ebill(cabinet, NUMBER, True, OWN, ip=None)
    fake_clock.advance(days=40)
    state = await ebill.save_ebill(cabinet, NUMBER, False, 'whatever is in the field', ip='10.0.0.3')
    assert (state.enabled, state.email, state.pending_confirmation) == (False, OWN, False)  # the address stays
    assert not (await stored()).enabled
    await deliver()
    notice = mailbox.wait_for(OWN)[0]
    assert notice['Subject'] == 'Получение квитанции на электронную почту отключено'
    assert NUMBER in Mailbox.text(notice) and 'token=' not in Mailbox.text(notice)
    off = await AuditEvent.get(event='ebill_off')
    assert (off.cabinet_id, off.ip, off.detail['account']) == (cabinet.id, '10.0.0.3', NUMBER)
    await ebill.save_ebill(cabinet, NUMBER, False, OWN, ip=None)  # off again: nothing more
    await deliver()
    assert len(mailbox.messages) == 1


async def test_a_new_address_is_proved_again_and_the_old_one_is_told(db, mailbox):
    cabinet = await holder()
    await ebill.save_ebill(cabinet, NUMBER, True, OWN, ip=None)
    await EBill.filter(account__number=NUMBER).update(bounces=2, last_bounce=BOUNCE)
    state = await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    assert (state.email, state.pending_confirmation, state.bouncing, state.last_bounce) == (OTHER, True, False, '')
    raw = await link_token(mailbox)
    moved = mailbox.wait_for(OWN)[0]
    assert moved['Subject'] == 'Квитанции будут приходить на другой адрес'
    assert 'd***@example.ru' in Mailbox.text(moved) and 'token=' not in Mailbox.text(moved)
    assert await ebill.confirm_ebill(raw, ip=None) is not None
    assert await Consent.filter(kind='ebill').count() == 1  # a new address is no new consent
    assert await events() == ['ebill_consent', 'ebill_address', 'ebill_confirmed']


async def test_dead_links(db, mailbox, fake_clock):
    cabinet = await holder()
    await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    expired = await link_token(mailbox)
    fake_clock.advance(hours=24, seconds=1)
    assert await ebill.confirm_ebill(expired, ip=None) is None
    assert await ebill.confirm_ebill('', ip=None) is None
    assert await ebill.confirm_ebill('made-up', ip=None) is None
    # the address changed since the link was sent: it proves nothing about the new one
    await ebill.save_ebill(cabinet, NUMBER, True, 'work@example.ru', ip=None)
    await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    stale = await link_token(mailbox, count=2)
    await ebill.save_ebill(cabinet, NUMBER, True, 'work@example.ru', ip=None)
    assert await ebill.confirm_ebill(stale, ip=None) is None
    # turned off since
    await ebill.save_ebill(cabinet, NUMBER, True, OTHER, ip=None)
    off = await link_token(mailbox, count=3)
    await ebill.save_ebill(cabinet, NUMBER, False, '', ip=None)
    assert await ebill.confirm_ebill(off, ip=None) is None
    assert (await stored()).email_confirmed_at is None
    outcomes = await AuditEvent.filter(event='ebill_confirm_failure').values_list('detail', flat=True)
    assert [detail['outcome'] for detail in outcomes] == ['dead_link'] * 3 + ['stale_link'] * 2


# --- bounces ---------------------------------------------------------------------------------------------------


async def bounce_ready(**values: object) -> tuple[Cabinet, int]:
    cabinet = await holder(**values)
    await ebill.save_ebill(cabinet, NUMBER, True, OWN, ip=None)
    return cabinet, (await stored()).id


async def test_two_bounces_warn_and_a_success_resets_the_count(db, mailbox, sms):
    cabinet, ebill_id = await bounce_ready()
    for _ in range(2):
        await bounces.record_bounce(ebill_id, BOUNCE)
    state = (await ebill.ebill_states(cabinet))[0]
    assert (state.enabled, state.bouncing, state.last_bounce) == (True, True, BOUNCE)
    await bounces.record_delivery(ebill_id)
    state = (await ebill.ebill_states(cabinet))[0]
    assert (state.enabled, state.bouncing, state.last_bounce) == (True, False, '')
    for _ in range(2):  # not consecutive with the first two
        await bounces.record_bounce(ebill_id, BOUNCE)
    assert (await stored()).enabled
    await deliver()
    assert sms.requests == [] and mailbox.messages == []


async def test_the_third_bounce_in_a_row_turns_ebill_off_and_tells_by_sms(db, mailbox, sms: SmsInbox):
    cabinet, ebill_id = await bounce_ready()
    for _ in range(3):
        await bounces.record_bounce(ebill_id, BOUNCE)
    state = (await ebill.ebill_states(cabinet))[0]
    assert (state.enabled, state.bouncing, state.last_bounce) == (False, True, BOUNCE)
    await bounces.record_delivery(ebill_id)  # a late success of an earlier bill keeps the warning
    assert (await ebill.ebill_states(cabinet))[0].bouncing
    await deliver()
    text = sms.wait_for(PHONE)[0]
    assert NUMBER in text and 'i***@example.ru' in text and 'отключена' in text
    assert mailbox.messages == []  # the address bounces: no email
    await bounces.record_bounce(ebill_id, BOUNCE)  # a 4th (a bill in flight) turns nothing off again
    await deliver()
    assert len(sms.requests) == 1
    off = await AuditEvent.get(event='ebill_bounced_off')
    assert (off.cabinet_id, off.detail['account'], off.detail['sms']) == (cabinet.id, NUMBER, True)
    # on again: a fresh count
    state = await ebill.save_ebill(cabinet, NUMBER, True, OWN, ip=None)
    assert (state.enabled, state.bouncing, state.last_bounce) == (True, False, '')
    assert (await stored()).bounces == 0


@pytest.mark.parametrize('phone', [PHONE, None], ids=['unconfirmed_phone', 'no_phone'])
async def test_no_sms_without_a_confirmed_phone(db, mailbox, sms, phone):
    cabinet, ebill_id = await bounce_ready(phone=phone)
    await Cabinet.filter(id=cabinet.id).update(phone_confirmed_at=None)
    for _ in range(3):
        await bounces.record_bounce(ebill_id, BOUNCE)
    assert not (await stored()).enabled
    await deliver()
    assert sms.requests == [] and mailbox.messages == []
    assert (await AuditEvent.get(event='ebill_bounced_off')).detail['sms'] is False


async def test_bounce_reports_for_a_vanished_subscription_are_ignored(db):
    await bounces.record_bounce(999999, BOUNCE)
    await bounces.record_delivery(999999)
    assert not await EBill.exists()
