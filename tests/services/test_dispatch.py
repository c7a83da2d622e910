"""The monthly e-bill dispatch as subscribers and operators meet it: each subscribed account's bill reaches the real
SMTP server once, as the overview's PDF with a short email; SMTP outages wait, rejections mark the subscription, and
the server starts the run by itself on the bill day."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdf
import pytest
from aiosmtpd.controller import Controller
from tortoise.exceptions import IntegrityError

from models.billing import Account, Bill, BillLine, Region
from models.cabinet import Cabinet, CabinetState, Link
from models.ebill import BillDelivery, EBill
from models.outbox import OutboxMessage, OutboxState
from services import clock, config, dispatch, outbox, overview
from tests.support.servers import Mailbox, _Handler, free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures('db')

NBSP = '\u00a0'
PERIOD = '2026-10'
NUMBER = '461000000001'
EMAIL = 'semenov@example.ru'
PHONE = '+79001234567'
REJECTED = '550 5.1.1 <nobody@example.ru>: no such user'


async def make_cabinet(login: str = 'semenov') -> Cabinet:
    now = clock.now()
    return await Cabinet.create(
        login=login,
        login_key=login,
        password_hash='not-used-here',
        email=EMAIL,
        email_confirmed_at=now,
        phone=PHONE,
        phone_confirmed_at=now,
        state=CabinetState.ACTIVE,
        created_at=now,
        password_changed_at=now,
    )


async def add_bill(account: Account, period: str = PERIOD, day: str = '1407.60', night: str = '348.45') -> Bill:
    """A two-line bill, due on the 10th of the next month."""
    year, month = map(int, period.split('-'))
    due = date(year + month // 12, month % 12 + 1, 10)
    bill = await Bill.create(account=account, period=period, amount_due=Decimal(day) + Decimal(night), due_date=due)
    await BillLine.create(
        bill=bill, position=1, service='Электроэнергия (день)', kwh=230, tariff=Decimal('6.12'), amount=Decimal(day)
    )
    await BillLine.create(
        bill=bill, position=2, service='Электроэнергия (ночь)', kwh=101, tariff=Decimal('3.45'), amount=Decimal(night)
    )
    return bill


async def subscriber(
    cabinet: Cabinet,
    number: str = NUMBER,
    email: str = EMAIL,
    *,
    periods: tuple[str, ...] = (PERIOD,),
    enabled: bool = True,
    confirmed: bool = True,
) -> EBill:
    """An account linked to the cabinet, with bills of `periods` and an e-bill subscription."""
    region, _ = await Region.get_or_create(code='KRS', defaults={'name': 'Курск'})
    account = await Account.create(
        number=number, region=region, surname='Семёнов', address='305000, г. Курск, ул. Ленина, д. 5, кв. 12'
    )
    await Link.create(cabinet=cabinet, account=account, proof='payment', linked_at=clock.now())
    for period in periods:
        await add_bill(account, period)
    return await EBill.create(
        account=account,
        cabinet=cabinet,
        email=email,
        enabled=enabled,
        email_confirmed_at=clock.now() if confirmed else None,
        updated_at=clock.now(),
    )


async def deliver() -> None:
    while await outbox.deliver_due():
        pass


async def delivery_states() -> dict[str, str]:
    """Account number → state of its bill's delivery (its outbox message's)."""
    rows = await BillDelivery.all().values_list('bill__account__number', 'message__state')
    return dict(rows)


def configure(monkeypatch: pytest.MonkeyPatch, **values: object) -> None:
    for key, value in values.items():
        monkeypatch.setenv(f'PORTAL_{key.upper()}', str(value))
    config.load()


def pdf_text(pdf: bytes) -> str:
    return '\n'.join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace(NBSP, ' ')


async def test_a_subscriber_gets_the_overview_pdf_with_a_short_email(mailbox):
    cabinet = await make_cabinet()
    await subscriber(cabinet)

    summary = await dispatch.dispatch(PERIOD)
    assert (summary.queued, summary.already, summary.skipped) == (1, 0, 0)
    assert mailbox.messages == []  # queued first, delivered by the outbox
    await deliver()

    [mail] = mailbox.to(EMAIL)
    assert mail['Subject'] == f'Квитанция за октябрь 2026 по лицевому счёту {NUMBER}'
    assert 'ТестЭнергоСбыт' in mail['From']
    text = Mailbox.text(mail)
    for expected in ['октябрь 2026', NUMBER, f'1{NBSP}756,05{NBSP}₽', '10.11.2026']:
        assert expected in text
    assert Mailbox.link(mail) == 'http://portal.test'  # the portal itself: no token, no way in without a password
    assert 'token' not in mail.as_string() and '?' not in text
    [attachment] = list(mail.iter_attachments())
    name, pdf = await overview.bill_pdf(cabinet.id, NUMBER, PERIOD)  # what «PDF» in the overview downloads
    assert attachment.get_filename() == name == f'schet-{NUMBER}-{PERIOD}.pdf'
    assert attachment.get_content_type() == 'application/pdf'
    assert attachment.get_content() == pdf
    lines = pdf_text(pdf).splitlines()
    assert f'Лицевой счёт № {NUMBER}' in lines
    assert lines[lines.index('Итого к оплате') + 1] == '1 756,05 ₽'
    assert await delivery_states() == {NUMBER: 'sent'}
    message, bill = await OutboxMessage.get(), await Bill.get()
    assert (message.state, message.topic, message.attachment) == (OutboxState.SENT, 'ebill', {'bill_id': bill.id})


async def test_a_second_run_sends_nothing(mailbox):
    cabinet = await make_cabinet()
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'dacha@example.ru')
    await dispatch.dispatch(PERIOD)
    await deliver()

    again = await dispatch.dispatch(PERIOD)
    await deliver()

    assert (again.queued, again.already) == (0, 2)
    assert len(mailbox.messages) == 2
    assert await OutboxMessage.all().count() == 2


async def test_a_run_before_the_first_ones_are_delivered_queues_nothing_either(mailbox):
    cabinet = await make_cabinet()
    await subscriber(cabinet)

    await dispatch.dispatch(PERIOD)
    again = await dispatch.dispatch(PERIOD)
    await deliver()

    assert (again.queued, again.already) == (0, 1)
    assert len(mailbox.to(EMAIL)) == 1


async def test_only_confirmed_subscriptions_that_are_on_and_have_a_bill_of_the_period_get_one(mailbox):
    cabinet = await make_cabinet()
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'off@example.ru', enabled=False)
    await subscriber(cabinet, '461000000003', 'waiting@example.ru', confirmed=False)
    await subscriber(cabinet, '461000000004', 'late@example.ru', periods=('2026-09',))

    summary = await dispatch.dispatch(PERIOD)
    await deliver()

    assert (summary.queued, summary.disabled, summary.unconfirmed, summary.no_bill) == (1, 1, 1, 1)
    assert summary.skipped == 3
    assert [m['To'] for m in mailbox.messages] == [EMAIL]


async def test_a_dry_run_lists_the_bills_and_writes_nothing(mailbox):
    cabinet = await make_cabinet()
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'off@example.ru', enabled=False)

    plan = await dispatch.dispatch(PERIOD, dry_run=True)

    assert plan.planned == [dispatch.PlannedBill(NUMBER, EMAIL, Decimal('1756.05'), date(2026, 11, 10))]
    assert (plan.queued, plan.disabled) == (1, 1)
    assert await BillDelivery.all().count() == 0
    assert await OutboxMessage.all().count() == 0
    await deliver()
    assert mailbox.messages == []


async def test_two_dispatches_at_once_queue_each_bill_once(mailbox):
    cabinet = await make_cabinet()
    for index in range(5):
        await subscriber(cabinet, f'46100000001{index}', f'user{index}@example.ru')

    first, second = await asyncio.gather(dispatch.dispatch(PERIOD), dispatch.dispatch(PERIOD))
    await deliver()

    assert first.queued + second.queued == 5
    assert await OutboxMessage.all().count() == 5
    assert sorted(m['To'] for m in mailbox.messages) == [f'user{index}@example.ru' for index in range(5)]


async def test_the_database_itself_refuses_a_second_delivery_of_a_bill_or_a_second_subscription_of_an_account():
    subscription = await subscriber(await make_cabinet())
    bill = await Bill.get(account_id=subscription.account_id)
    await BillDelivery.create(bill=bill, ebill=subscription, email=EMAIL, created_at=clock.now())

    with pytest.raises(IntegrityError):
        await BillDelivery.create(bill=bill, ebill=subscription, email=EMAIL, created_at=clock.now())
    with pytest.raises(IntegrityError):
        await EBill.create(account_id=subscription.account_id, cabinet_id=subscription.cabinet_id, email=EMAIL,
                           updated_at=clock.now())  # fmt: skip


async def test_smtp_stopped_then_started_delivers_the_waiting_bills(monkeypatch, mailbox, fake_clock):
    server = Controller(_Handler(mailbox), hostname='127.0.0.1', port=free_port())
    server.start()
    configure(monkeypatch, smtp_port=server.port)
    cabinet = await make_cabinet()
    await subscriber(cabinet)
    server.stop()

    await dispatch.dispatch(PERIOD)
    await deliver()
    message = await OutboxMessage.get()
    assert (message.state, message.attempts) == (OutboxState.PENDING, 1)
    assert 'SMTP 127.0.0.1' in message.last_error
    assert await delivery_states() == {NUMBER: 'pending'}

    server = Controller(_Handler(mailbox), hostname='127.0.0.1', port=server.port)  # the same server, back
    server.start()
    try:
        fake_clock.advance(seconds=30)
        await deliver()
    finally:
        server.stop()

    assert len(mailbox.to(EMAIL)) == 1
    assert await delivery_states() == {NUMBER: 'sent'}
    assert (await EBill.get()).bounces == 0


async def test_a_rejected_address_fails_the_bill_and_counts_a_bounce(mailbox):
    mailbox.rejections['nobody@example.ru'] = REJECTED
    cabinet = await make_cabinet()
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'nobody@example.ru')

    await dispatch.dispatch(PERIOD)
    await deliver()

    assert await delivery_states() == {NUMBER: 'sent', '461000000002': 'failed'}
    bounced = await EBill.get(email='nobody@example.ru')
    assert bounced.bounces == 1
    assert REJECTED in bounced.last_bounce
    assert bounced.enabled
    assert (await EBill.get(email=EMAIL)).bounces == 0
    assert [m['To'] for m in mailbox.messages] == [EMAIL]


async def test_a_rejection_of_the_address_a_bill_was_queued_to_does_not_count_against_a_new_one(mailbox):
    mailbox.rejections['nobody@example.ru'] = REJECTED
    subscription = await subscriber(await make_cabinet(), email='nobody@example.ru')
    await dispatch.dispatch(PERIOD)
    # the customer corrects the address before the queued bill goes out
    await EBill.filter(id=subscription.id).update(email='fixed@example.ru')

    await deliver()

    assert await delivery_states() == {NUMBER: 'failed'}
    assert (await EBill.get(id=subscription.id)).bounces == 0


async def test_three_rejected_months_turn_e_bill_off_and_tell_the_customer_by_sms(mailbox, sms):
    mailbox.rejections['nobody@example.ru'] = REJECTED
    months = ('2026-08', '2026-09', '2026-10')
    cabinet = await make_cabinet()
    subscription = await subscriber(cabinet, email='nobody@example.ru', periods=months)

    for period in months:
        await dispatch.dispatch(period)
        await deliver()

    await subscription.refresh_from_db()
    assert (subscription.bounces, subscription.enabled) == (3, False)
    [text] = sms.wait_for(PHONE)
    assert NUMBER in text
    assert await BillDelivery.filter(message__state='failed').count() == 3


async def test_a_delivered_bill_ends_a_run_of_bounces(mailbox):
    mailbox.rejections[EMAIL] = REJECTED
    cabinet = await make_cabinet()
    subscription = await subscriber(cabinet, periods=('2026-09', PERIOD))
    await dispatch.dispatch('2026-09')
    await deliver()
    await subscription.refresh_from_db()
    assert subscription.bounces == 1

    mailbox.rejections.clear()
    await dispatch.dispatch(PERIOD)
    await deliver()

    await subscription.refresh_from_db()
    assert (subscription.bounces, subscription.last_bounce) == (0, '')


async def test_running_out_of_attempts_fails_the_bill_without_a_bounce(monkeypatch, mailbox):
    configure(monkeypatch, smtp_port=free_port(), outbox_max_attempts=1)  # nobody listens there
    cabinet = await make_cabinet()
    subscription = await subscriber(cabinet)

    await dispatch.dispatch(PERIOD)
    await deliver()

    assert await delivery_states() == {NUMBER: 'failed'}
    await subscription.refresh_from_db()
    assert (subscription.bounces, subscription.enabled) == (0, True)  # the server was down, the address is fine


async def test_a_message_a_killed_sender_left_is_sent_again_after_its_lease(monkeypatch, mailbox, fake_clock):
    configure(monkeypatch, outbox_lease_seconds=30)
    cabinet = await make_cabinet()
    await subscriber(cabinet)
    await dispatch.dispatch(PERIOD)
    # what a process killed mid-delivery leaves: claimed, leased, never finished
    await OutboxMessage.all().update(state=OutboxState.SENDING, attempts=1, lease_until=fake_clock.current)
    fake_clock.advance(seconds=1)

    await deliver()

    assert len(mailbox.to(EMAIL)) == 1
    assert await delivery_states() == {NUMBER: 'sent'}


async def test_a_failing_outcome_hook_leaves_the_message_sent_and_its_own_writes_undone(monkeypatch, mailbox, caplog):
    cabinet = await make_cabinet()
    subscription = await subscriber(cabinet)

    async def broken(*_: object) -> None:
        await EBill.filter(id=subscription.id).update(email='half-done@example.ru')
        raise RuntimeError('a bug in a hook')

    monkeypatch.setitem(outbox._outcomes, 'test', outbox.Outcome(on_sent=broken, on_failed_permanently=broken))
    queued = await outbox.send_email(EMAIL, 'Тема', 'notice', {'title': 'Т', 'lines': []}, topic='test')

    await deliver()

    assert (await OutboxMessage.get(id=queued.id)).state == OutboxState.SENT
    assert len(mailbox.to(EMAIL)) == 1  # and it is not sent again
    assert (await EBill.get(id=subscription.id)).email == EMAIL
    assert "the 'test' hook for sent failed" in caplog.text


async def test_delivery_status_and_failures_of_a_period(mailbox):
    mailbox.rejections['nobody@example.ru'] = REJECTED
    cabinet = await make_cabinet()
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'nobody@example.ru')
    await subscriber(cabinet, '461000000003', 'later@example.ru')
    await dispatch.dispatch(PERIOD)
    await outbox.deliver_due(limit=2)

    status = await dispatch.delivery_status(PERIOD)

    assert status.counts == {OutboxState.SENT: 1, OutboxState.FAILED: 1, OutboxState.PENDING: 1}
    assert (status.total, status.open) == (3, 1)
    assert await dispatch.delivery_failures(PERIOD) == [
        ('461000000002', 'n***@example.ru', f'recipient refused: {REJECTED}')
    ]
    assert (await dispatch.delivery_status('2026-09')).total == 0


def test_a_period_must_be_a_month():
    for good in ('2026-01', '2026-12'):
        dispatch.check_period(good)
    for bad in ('2026-13', '2026-1', '10.2026', '2026-00', ''):
        with pytest.raises(ValueError, match='ГГГГ-ММ'):
            dispatch.check_period(bad)


def moscow(year: int, month: int, day: int, hour: int = 12) -> datetime:
    """A moment on the customers' clock (PORTAL_TIMEZONE's default)."""
    return datetime(year, month, day, hour, tzinfo=ZoneInfo('Europe/Moscow'))


async def test_the_server_dispatches_the_previous_month_once_on_the_bill_day(mailbox, fake_clock):
    cabinet = await make_cabinet()
    await subscriber(cabinet, periods=('2026-10', '2026-11'))
    scheduler = dispatch.BillScheduler()

    fake_clock.current = moscow(2026, 11, 30, hour=23)
    assert await scheduler.tick() is None
    fake_clock.current = moscow(2026, 12, 1, hour=0)  # midnight on the customers' clock: 21:00 UTC the day before
    summary = await scheduler.tick()
    assert (summary.period, summary.queued) == ('2026-11', 1)
    assert await scheduler.tick() is None
    fake_clock.advance(days=1)
    assert await scheduler.tick() is None

    await deliver()
    [mail] = mailbox.to(EMAIL)
    assert 'ноябрь 2026' in mail['Subject']
    assert await BillDelivery.all().count() == 1


async def test_a_bill_day_past_the_end_of_the_month_is_its_last_day(monkeypatch, fake_clock):
    configure(monkeypatch, bill_day=31)
    scheduler = dispatch.BillScheduler()

    fake_clock.current = moscow(2026, 11, 29)
    assert await scheduler.tick() is None
    fake_clock.current = moscow(2026, 11, 30)
    assert (await scheduler.tick()).period == '2026-10'


async def test_the_running_server_sends_the_bills_by_itself(mailbox, fake_clock):
    cabinet = await make_cabinet()
    await subscriber(cabinet)
    fake_clock.current = moscow(2026, 11, 1, hour=9)
    scheduler, worker = dispatch.BillScheduler(every=0.02), outbox.OutboxWorker()
    scheduler.start()
    worker.start()
    try:
        await eventually(lambda: mailbox.to(EMAIL), what='the bill sent by the server on the bill day')
    finally:
        await scheduler.stop()
        await worker.stop()

    assert scheduler.dispatched == PERIOD
    assert await delivery_states() == {NUMBER: 'sent'}
