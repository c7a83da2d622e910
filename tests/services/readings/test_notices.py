"""Reading notices (flow 8): the opt-in per linked account, «Показания приняты» by email and SMS after a submission,
the reminders when the window opens and two days before it closes (once, whatever runs them), and the one-click
unsubscribe from a reminder email."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from models.billing import Region
from models.cabinet import Cabinet, CabinetState, Consent, Link
from models.outbox import OutboxMessage
from models.readings import ReadingNotice, ReadingReminder, ReadingSource, ReadingStatus
from models.security import AuditEvent
from services import config
from services.errors import InvalidInput, NotAllowed
from services.readings import notices, reminders
from services.readings.notices import NoticeChoice, save_reading_notices
from services.readings.scheduler import ReminderScheduler
from services.readings.submission import submit_reading
from tests.support.delivery import deliver
from tests.support.factories import (
    NUMBER,
    PHONE,
    SERIAL,
    add_reading,
    add_tariff,
    make_account,
    make_cabinet,
    make_meter,
    reading_notice,
)
from tests.support.servers import Mailbox

IP = '10.0.0.1'
EMAIL = 'ivanov@example.ru'
NOT_LINKED = 'Этот лицевой счёт не привязан к вашему кабинету'
NO_PHONE = 'SMS недоступны: в профиле нет подтверждённого номера телефона'
#: the default window (15th–25th) of December 2026: it opens on the 15th, the second reminder is due on the 23rd
OPENS, BEFORE_CLOSING = date(2026, 12, 15), date(2026, 12, 23)
ALL_CHANNELS = NoticeChoice(remind_email=True, remind_sms=True, confirm_email=True, confirm_sms=True)
UNSUBSCRIBE = re.compile(r'http://portal\.test/readings/unsubscribe\?token=(\S+)')


async def outbox_count() -> int:
    return await OutboxMessage.all().count()


def unsubscribe_token(message) -> str:
    match = UNSUBSCRIBE.search(Mailbox.text(message))
    assert match, 'no unsubscribe link in the reminder'
    return match.group(1)


# ---- the opt-in -----------------------------------------------------------------------------------------------------


async def test_the_opt_in_is_stored_per_account_with_the_consent(cabinet, meter, fake_clock):
    state = await save_reading_notices(cabinet, f' {NUMBER} ', NoticeChoice(remind_email=True, confirm_sms=True), ip=IP)
    assert (state.account.number, state.choice, state.email, state.phone) == (
        NUMBER,
        NoticeChoice(remind_email=True, confirm_sms=True),
        EMAIL,
        PHONE,
    )
    row = await ReadingNotice.get(cabinet_id=cabinet.id)
    assert (row.remind_email, row.remind_sms, row.confirm_email, row.confirm_sms) == (True, False, False, True)
    assert (row.consent_version, row.consent_ip, row.consent_at) == ('2026-12', IP, fake_clock.current)
    consent = await Consent.get(cabinet_id=cabinet.id, kind='reading_notices')
    assert (consent.text_version, consent.ip) == ('2026-12', IP)
    [listed] = await notices.notice_states(cabinet)
    assert listed.choice == NoticeChoice(remind_email=True, confirm_sms=True)
    assert await AuditEvent.filter(event='reading_notices_saved', cabinet_id=cabinet.id).count() == 1
    # turning one off records no new consent; saving the same again changes nothing
    await save_reading_notices(cabinet, NUMBER, NoticeChoice(remind_email=True), ip=IP)
    await save_reading_notices(cabinet, NUMBER, NoticeChoice(remind_email=True), ip=IP)
    assert await Consent.filter(kind='reading_notices').count() == 1
    assert await AuditEvent.filter(event='reading_notices_saved').count() == 2


async def test_only_the_cabinets_own_linked_accounts_can_be_set(cabinet, meter):
    await make_account('461000000002')  # billing has it, nobody linked it here
    stranger = await make_cabinet('petrov', accounts=['461000000003'])
    for number in ('461000000002', '461000000003', 'nonsense', ''):
        with pytest.raises(NotAllowed) as caught:
            await save_reading_notices(cabinet, number, ALL_CHANNELS, ip=IP)
        assert caught.value.message == NOT_LINKED
    # what a forged websocket event could carry instead of a number or a choice
    for number, choice in ((None, ALL_CHANNELS), (12345, ALL_CHANNELS), (NUMBER, {'remind_email': True})):
        with pytest.raises(NotAllowed):
            await save_reading_notices(cabinet, number, choice, ip=IP)
    with pytest.raises(InvalidInput) as caught:
        await save_reading_notices(cabinet, '4' * 10_000, ALL_CHANNELS, ip=IP)
    assert caught.value.errors == {'account': 'Слишком длинное значение'}
    assert await ReadingNotice.all().count() == 0
    assert await AuditEvent.filter(event='reading_notices_refused').count() == 4
    assert [state.account.number for state in await notices.notice_states(stranger)] == ['461000000003']


async def test_a_locked_cabinet_sets_nothing(cabinet, meter):
    await Cabinet.filter(id=cabinet.id).update(state=CabinetState.LOCKED)
    with pytest.raises(NotAllowed):
        await save_reading_notices(cabinet, NUMBER, ALL_CHANNELS, ip=IP)
    assert await notices.notice_states(cabinet) == []


async def test_anything_but_true_leaves_a_switch_off(cabinet, meter):
    forged = NoticeChoice(remind_email='false', remind_sms=1, confirm_email=None, confirm_sms=True)  # type: ignore[arg-type]
    state = await save_reading_notices(cabinet, NUMBER, forged, ip=IP)
    assert state.choice == NoticeChoice(confirm_sms=True)


async def test_a_channel_without_a_confirmed_contact_is_refused_at_its_switch(cabinet, meter):
    await Cabinet.filter(id=cabinet.id).update(phone=None, phone_confirmed_at=None, email_confirmed_at=None)
    [state] = await notices.notice_states(cabinet)
    assert (state.email, state.phone) == (None, None)
    with pytest.raises(InvalidInput) as caught:
        await save_reading_notices(cabinet, NUMBER, NoticeChoice(remind_sms=True, confirm_sms=True), ip=IP)
    assert caught.value.errors == {'remind_sms': NO_PHONE, 'confirm_sms': NO_PHONE}
    assert caught.value.field == 'remind_sms'
    with pytest.raises(InvalidInput) as caught:
        await save_reading_notices(cabinet, NUMBER, NoticeChoice(confirm_email=True), ip=IP)
    assert caught.value.errors == {
        'confirm_email': 'Email недоступен: в профиле нет подтверждённого адреса электронной почты'
    }
    assert await ReadingNotice.all().count() == 0
    # all off is always possible
    await save_reading_notices(cabinet, NUMBER, NoticeChoice(), ip=IP)


async def test_clicks_at_once_leave_one_consistent_row(cabinet, meter):
    choices = [NoticeChoice(remind_email=True), NoticeChoice(confirm_sms=True)] * 3
    await asyncio.gather(*(save_reading_notices(cabinet, NUMBER, choice, ip=IP) for choice in choices))
    [row] = await ReadingNotice.filter(cabinet_id=cabinet.id)
    assert NoticeChoice.of(row) in set(choices)


# ---- «Показания приняты» --------------------------------------------------------------------------------------------


async def test_the_confirmation_is_delivered_by_email_and_sms_with_the_values(account, cabinet, meter, mailbox, sms):
    await add_reading(meter, '2026-10-20', '100', '50')
    await add_tariff(account, 1, '6.12')
    await add_tariff(account, 2, '3.45')
    await reading_notice(cabinet, confirm_email=True, confirm_sms=True, remind_email=True)
    await submit_reading(cabinet, NUMBER, SERIAL, {'t1': '120,5', 't2': '60'}, confirm=False, ip=IP)
    await deliver()
    [message] = mailbox.wait_for(EMAIL)
    assert message['Subject'] == f'Показания по лицевому счёту {NUMBER} приняты'
    text = Mailbox.text(message)
    assert 'Показания приняты' in text
    assert f'Лицевой счёт {NUMBER}, счётчик № {SERIAL}.' in text
    assert 'Дата передачи: 20.11.2026.' in text
    assert 'день: 120,5 — расход 20,5 кВт·ч ≈ 125,46\u00a0₽' in text
    assert 'ночь: 60 — расход 10 кВт·ч ≈ 34,50\u00a0₽' in text
    assert 'Предварительная стоимость: 159,96\u00a0₽' in text
    assert 'предварительный расчёт' in text
    assert 'unsubscribe' not in text  # the confirmation is not a reminder
    [text] = sms.wait_for(PHONE)
    assert text == (
        f'Показания приняты: л/с {NUMBER}, счётчик {SERIAL}, день: 120,5, ночь: 60, 20.11.2026. '
        f'{config.settings.brand_name}'
    )


async def test_the_confirmation_speaks_the_cabinets_language(cabinet, meter, mailbox, sms):
    await Cabinet.filter(id=cabinet.id).update(language='en')
    await reading_notice(cabinet, confirm_email=True, confirm_sms=True)
    await submit_reading(cabinet, NUMBER, SERIAL, {'t1': '120', 't2': '60'}, confirm=False, ip=IP)
    await deliver()
    [message] = mailbox.wait_for(EMAIL)
    assert message['Subject'] == f'Readings for personal account {NUMBER} accepted'
    text = Mailbox.text(message)
    assert 'Submitted on Nov 20, 2026.' in text
    assert 'day: 120' in text and 'night: 60' in text
    assert sms.wait_for(PHONE)[0].startswith(f'Readings accepted: account {NUMBER}, meter {SERIAL}, day: 120')


async def test_no_confirmation_without_the_opt_in_nor_for_a_refused_reading(account, cabinet, meter, mailbox, sms):
    other = await make_cabinet('petrov', phone='+79007654321', accounts=[NUMBER])
    await reading_notice(other, confirm_email=True, confirm_sms=True)  # a co-holder: the submitter is ivanov
    await reading_notice(cabinet, remind_email=True, remind_sms=True)  # reminders only
    await add_reading(meter, '2026-10-20', '100', '50')
    await submit_reading(cabinet, NUMBER, SERIAL, {'t1': '120', 't2': '60'}, confirm=False, ip=IP)
    await ReadingNotice.filter(cabinet_id=cabinet.id).update(confirm_email=True)
    with pytest.raises(InvalidInput):
        await submit_reading(cabinet, NUMBER, SERIAL, {'t1': '90', 't2': '60'}, confirm=False, ip=IP)
    assert await outbox_count() == 0


async def test_a_contact_no_longer_confirmed_gets_nothing(cabinet, meter):
    await reading_notice(cabinet, confirm_email=True, confirm_sms=True)
    await Cabinet.filter(id=cabinet.id).update(email_confirmed_at=None, phone_confirmed_at=None)
    await submit_reading(cabinet, NUMBER, SERIAL, {'t1': '120', 't2': '60'}, confirm=False, ip=IP)
    assert await outbox_count() == 0


# ---- reminders ------------------------------------------------------------------------------------------------------


async def test_reminders_go_on_the_opening_day_and_two_days_before_closing_only(cabinet, meter, mailbox, sms):
    await reading_notice(cabinet, remind_email=True, remind_sms=True)
    sent = {day: await reminders.send_reminders(day) for day in (OPENS + timedelta(days=n) for n in range(-3, 14))}
    assert {day for day, queued in sent.items() if queued} == {OPENS, BEFORE_CLOSING}
    assert set(sent.values()) == {0, 1}
    await deliver()
    opening, closing = mailbox.wait_for(EMAIL, 2)
    assert opening['Subject'] == f'Пора передать показания по лицевому счёту {NUMBER}'
    text = Mailbox.text(opening)
    assert f'Напоминаем: с 15 по 25 число можно передать показания счётчика по лицевому счёту {NUMBER}.' in text
    assert 'Последний день — 25.12.2026.' in text
    assert 'Отписаться от напоминаний:' in text
    assert closing['Subject'] == f'Осталось два дня, чтобы передать показания по лицевому счёту {NUMBER}'
    assert 'принимаются по 25.12.2026 включительно' in Mailbox.text(closing)
    assert unsubscribe_token(opening) == unsubscribe_token(closing)  # one reusable link per subscription
    first, second = sms.wait_for(PHONE, 2)
    assert first.startswith(f'Напоминаем: с 15 по 25 число можно передать показания по л/с {NUMBER}')
    assert second.startswith(f'Осталось два дня: показания по л/с {NUMBER} принимаются по 25.12.2026.')
    kinds = await ReadingReminder.filter(cabinet_id=cabinet.id).order_by('id').values_list('window_opens', 'kind')
    assert kinds == [(OPENS, 'opens'), (OPENS, 'closes')]


async def test_a_region_with_its_own_days_is_reminded_on_them_in_the_cabinets_language(
    account, cabinet, meter, mailbox
):
    await Region.filter(id=account.region_id).update(readings_from=1, readings_to=5)
    await Cabinet.filter(id=cabinet.id).update(language='en')
    await reading_notice(cabinet, remind_email=True)
    sent = {
        day: await reminders.send_reminders(day) for day in (date(2026, 12, 1) + timedelta(days=n) for n in range(25))
    }
    assert {day for day, queued in sent.items() if queued} == {date(2026, 12, 1), date(2026, 12, 3)}
    await deliver()
    opening, _ = mailbox.wait_for(EMAIL, 2)
    assert opening['Subject'] == f'Time to submit meter readings for personal account {NUMBER}'
    assert 'from day 1 to day 5 of the month. The last day is Dec 5, 2026.' in Mailbox.text(opening)


async def test_no_reminder_once_a_reading_is_in_for_the_window(cabinet, meter):
    await reading_notice(cabinet, remind_email=True)
    await add_reading(meter, '2026-11-20', '100', '50')  # last window's: no matter
    assert await reminders.send_reminders(OPENS) == 1
    await add_reading(meter, '2026-12-16', '120', '60', source=ReadingSource.CUSTOMER, status=ReadingStatus.SUBMITTED)
    assert await reminders.send_reminders(BEFORE_CLOSING) == 0


async def test_a_rejected_reading_or_an_estimate_does_not_count_as_one(cabinet, meter):
    await reading_notice(cabinet, remind_email=True)
    await add_reading(meter, '2026-12-16', '120', '60', source=ReadingSource.CUSTOMER, status=ReadingStatus.REJECTED)
    await add_reading(meter, '2026-12-17', '130', '60', source=ReadingSource.CALCULATED)
    assert await reminders.send_reminders(BEFORE_CLOSING) == 1


async def test_every_meter_that_takes_readings_must_have_one(account, cabinet, meter):
    await reading_notice(cabinet, remind_email=True)
    second = await make_meter(account, '022-0001')
    await add_reading(meter, '2026-12-15', '120', '60')
    assert await reminders.send_reminders(OPENS) == 1  # the second meter has none yet
    await add_reading(second, '2026-12-16', '1', '1')
    assert await reminders.send_reminders(BEFORE_CLOSING) == 0


async def test_no_reminder_for_smart_removed_or_overdue_meters(account, cabinet, meter):
    await reading_notice(cabinet, remind_email=True)
    await meter.delete()
    await make_meter(account, '1-smart', smart=True)
    await make_meter(account, '2-removed', removed=date(2026, 6, 1))
    await make_meter(account, '3-overdue', verify_by=date(2026, 12, 1))
    assert await reminders.send_reminders(OPENS) == 0
    await make_meter(account, '4-in-place')
    assert await reminders.send_reminders(OPENS) == 1


async def test_no_reminder_for_an_unlinked_account_a_locked_cabinet_or_channels_off(account, cabinet, meter):
    await reading_notice(cabinet, remind_email=True, confirm_email=True)
    await Link.filter(cabinet_id=cabinet.id).delete()
    locked = await make_cabinet('locked', accounts=[NUMBER], state=CabinetState.LOCKED)
    await reading_notice(locked, remind_email=True)
    quiet = await make_cabinet('quiet', accounts=[NUMBER])
    await reading_notice(quiet, confirm_email=True, confirm_sms=True)
    unconfirmed = await make_cabinet('unconfirmed', accounts=[NUMBER], email_confirmed=False, phone=None)
    await reading_notice(unconfirmed, remind_email=True)
    assert await reminders.send_reminders(OPENS) == 0
    assert await outbox_count() == 0


async def test_a_reminder_goes_once_however_often_and_wherever_the_job_runs(cabinet, meter, fake_clock, mailbox, sms):
    await reading_notice(cabinet, remind_email=True, remind_sms=True)
    fake_clock.current = datetime(2026, 12, 15, 6, 59, tzinfo=UTC)  # 09:59 in Moscow: too early for an SMS
    assert await ReminderScheduler().tick() is None
    fake_clock.current = datetime(2026, 12, 15, 7, 0, tzinfo=UTC)
    # two processes, each with its own scheduler, tick at once
    first, second = ReminderScheduler(), ReminderScheduler()
    assert sorted(await asyncio.gather(first.tick(), second.tick())) == [0, 1]
    assert await first.tick() is None  # this process has done today
    fake_clock.advance(hours=3)
    assert await ReminderScheduler().tick() == 0  # a restart the same day
    assert await reminders.send_reminders(OPENS) == 0
    await deliver()
    assert len(mailbox.wait_for(EMAIL)) == 1
    assert len(sms.wait_for(PHONE)) == 1
    assert await ReadingReminder.all().count() == 1


async def test_large_bases_are_reminded_in_batches(account, meter, monkeypatch):
    monkeypatch.setattr(reminders, 'BATCH', 2)
    for n in range(5):
        await reading_notice(await make_cabinet(f'user{n}', accounts=[NUMBER]), remind_email=True)
    assert await reminders.send_reminders(OPENS) == 5
    assert await OutboxMessage.filter(channel='email').count() == 5


# ---- unsubscribing --------------------------------------------------------------------------------------------------


async def test_the_link_in_a_reminder_turns_that_accounts_reminders_off(cabinet, meter, mailbox):
    row = await reading_notice(cabinet, remind_email=True, remind_sms=True, confirm_email=True)
    await reminders.send_reminders(OPENS)
    await deliver()
    token = unsubscribe_token(mailbox.wait_for(EMAIL)[0])
    assert await notices.unsubscribe_target(token) == NUMBER
    row = await ReadingNotice.get(id=row.id)
    assert (row.remind_email, row.remind_sms) == (True, True)  # opening the page changes nothing
    assert await notices.unsubscribe(token, ip=IP) == NUMBER
    row = await ReadingNotice.get(id=row.id)
    assert (row.remind_email, row.remind_sms, row.confirm_email) == (False, False, True)
    assert await AuditEvent.filter(event='reading_reminders_unsubscribed', cabinet_id=cabinet.id).count() == 1
    assert await reminders.send_reminders(BEFORE_CLOSING) == 0
    # the link stays usable: a second click says the same and changes nothing
    assert await notices.unsubscribe(token, ip=IP) == NUMBER
    assert await AuditEvent.filter(event='reading_reminders_unsubscribed').count() == 1


async def test_two_clicks_at_once_on_the_link(cabinet, meter):
    row = await reading_notice(cabinet, remind_email=True)
    token = notices.unsubscribe_token(row.id)
    assert await asyncio.gather(*(notices.unsubscribe(token, ip=IP) for _ in range(5))) == [NUMBER] * 5
    assert (await ReadingNotice.get(id=row.id)).remind_email is False


async def test_a_forged_or_broken_link_is_refused_and_changes_nothing(cabinet, meter):
    row = await reading_notice(cabinet, remind_email=True)
    other = await reading_notice(await make_cabinet('petrov', accounts=[NUMBER]), remind_email=True)
    good = notices.unsubscribe_token(row.id)
    forged = [
        '',
        'abc',
        f'{row.id}',
        f'{row.id}.',
        f'{row.id}.forged',
        f'{other.id}.{good.partition(".")[2]}',  # another row's id with this row's MAC
        good[:-1],
        good + 'x' * 200,
        'x' * 100_000,
        '１.' + good.partition('.')[2],  # a full-width digit
        f'{row.id}\x00.{good.partition(".")[2]}',
        '99999.' + good.partition('.')[2],
        None,
    ]
    for raw in forged:
        assert await notices.unsubscribe_target(raw) is None, raw
        assert await notices.unsubscribe(raw, ip=IP) is None, raw
    assert await ReadingNotice.filter(remind_email=True).count() == 2
    assert await AuditEvent.filter(event='reading_unsubscribe_failure').count() == len(forged)
    # a link of a row that is gone is dead too
    await ReadingNotice.filter(id=row.id).delete()
    assert await notices.unsubscribe(good, ip=IP) is None


def test_reminder_kinds_of_a_short_window():
    from services.readings.window import Window

    assert reminders.reminder_kind(Window(date(2026, 12, 15), date(2026, 12, 16), True), date(2026, 12, 15)) == 'opens'
    # two days before the last day is before the first: only the opening reminder
    assert reminders.reminder_kind(Window(date(2026, 12, 15), date(2026, 12, 16), False), date(2026, 12, 14)) is None
    assert reminders.reminder_kind(Window(date(2026, 12, 15), date(2026, 12, 17), True), date(2026, 12, 15)) == 'opens'
