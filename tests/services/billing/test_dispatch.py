"""The monthly e-bill dispatch as subscribers and operators meet it: each subscribed account's bill reaches the real
SMTP server once, as the overview's PDF with a short email; SMTP outages wait, rejections mark the subscription. The
server's own monthly run is in test_scheduler.py."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from tortoise.exceptions import IntegrityError

from models.billing import Bill
from models.ebill import BillDelivery, EBill
from models.outbox import OutboxMessage, OutboxState
from services import clock
from services.accounts import overview
from services.billing import delivery, dispatch
from services.messaging import outbox
from tests.support.billing import pdf_text
from tests.support.delivery import deliver
from tests.support.factories import EMAIL, NUMBER, PERIOD, PHONE, make_cabinet, subscriber
from tests.support.servers import REJECTED, REJECTED_MASKED, Mailbox, _Handler, free_port
from tests.support.settings import configure

pytestmark = pytest.mark.usefixtures('db')

NBSP = '\u00a0'


async def delivery_states() -> dict[str, str]:
    """Account number → state of its bill's delivery (its outbox message's)."""
    rows = await BillDelivery.all().values_list('bill__account__number', 'message__state')
    return dict(rows)


async def test_a_subscriber_gets_the_overview_pdf_with_a_short_email(mailbox):
    cabinet = await make_cabinet('semenov')
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
    cabinet = await make_cabinet('semenov')
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
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)

    await dispatch.dispatch(PERIOD)
    again = await dispatch.dispatch(PERIOD)
    await deliver()

    assert (again.queued, again.already) == (0, 1)
    assert len(mailbox.to(EMAIL)) == 1


async def test_only_confirmed_subscriptions_that_are_on_and_have_a_bill_of_the_period_get_one(mailbox):
    cabinet = await make_cabinet('semenov')
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
    cabinet = await make_cabinet('semenov')
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
    cabinet = await make_cabinet('semenov')
    for index in range(5):
        await subscriber(cabinet, f'46100000001{index}', f'user{index}@example.ru')

    first, second = await asyncio.gather(dispatch.dispatch(PERIOD), dispatch.dispatch(PERIOD))
    await deliver()

    assert first.queued + second.queued == 5
    assert await OutboxMessage.all().count() == 5
    assert sorted(m['To'] for m in mailbox.messages) == [f'user{index}@example.ru' for index in range(5)]


async def test_the_database_itself_refuses_a_second_delivery_of_a_bill_or_a_second_subscription_of_an_account():
    subscription = await subscriber(await make_cabinet('semenov'))
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
    cabinet = await make_cabinet('semenov')
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
    cabinet = await make_cabinet('semenov')
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
    subscription = await subscriber(await make_cabinet('semenov'), email='nobody@example.ru')
    await dispatch.dispatch(PERIOD)
    # the customer corrects the address before the queued bill goes out
    await EBill.filter(id=subscription.id).update(email='fixed@example.ru')

    await deliver()

    assert await delivery_states() == {NUMBER: 'failed'}
    assert (await EBill.get(id=subscription.id)).bounces == 0


async def test_three_rejected_months_turn_e_bill_off_and_tell_the_customer_by_sms(mailbox, sms):
    mailbox.rejections['nobody@example.ru'] = REJECTED
    months = ('2026-08', '2026-09', '2026-10')
    cabinet = await make_cabinet('semenov')
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
    cabinet = await make_cabinet('semenov')
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
    cabinet = await make_cabinet('semenov')
    subscription = await subscriber(cabinet)

    await dispatch.dispatch(PERIOD)
    await deliver()

    assert await delivery_states() == {NUMBER: 'failed'}
    await subscription.refresh_from_db()
    assert (subscription.bounces, subscription.enabled) == (0, True)  # the server was down, the address is fine


async def test_a_message_a_killed_sender_left_is_sent_again_after_its_lease(monkeypatch, mailbox, fake_clock):
    configure(monkeypatch, outbox_lease_seconds=30)
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await dispatch.dispatch(PERIOD)
    # what a process killed mid-delivery leaves: claimed, leased, never finished
    await OutboxMessage.all().update(state=OutboxState.SENDING, attempts=1, lease_until=fake_clock.current)
    fake_clock.advance(seconds=1)

    await deliver()

    assert len(mailbox.to(EMAIL)) == 1
    assert await delivery_states() == {NUMBER: 'sent'}


async def test_a_failing_outcome_hook_leaves_the_message_sent_and_its_own_writes_undone(monkeypatch, mailbox, caplog):
    cabinet = await make_cabinet('semenov')
    subscription = await subscriber(cabinet)

    async def broken(*_: object) -> None:
        await EBill.filter(id=subscription.id).update(email='half-done@example.ru')
        raise RuntimeError('a bug in a hook')

    monkeypatch.setitem(outbox.plugins._outcomes, 'test', outbox.Outcome(on_sent=broken, on_failed_permanently=broken))
    queued = await outbox.send_email(EMAIL, 'Тема', 'notice', {'title': 'Т', 'lines': []}, topic='test')

    await deliver()

    assert (await OutboxMessage.get(id=queued.id)).state == OutboxState.SENT
    assert len(mailbox.to(EMAIL)) == 1  # and it is not sent again
    assert (await EBill.get(id=subscription.id)).email == EMAIL
    assert "the 'test' hook for sent failed" in caplog.text


async def test_delivery_status_and_failures_of_a_period(mailbox):
    mailbox.rejections['nobody@example.ru'] = REJECTED
    cabinet = await make_cabinet('semenov')
    await subscriber(cabinet)
    await subscriber(cabinet, '461000000002', 'nobody@example.ru')
    await subscriber(cabinet, '461000000003', 'later@example.ru')
    await dispatch.dispatch(PERIOD)
    await outbox.deliver_due(limit=2)

    status = await delivery.delivery_status(PERIOD)

    assert status.counts == {OutboxState.SENT: 1, OutboxState.FAILED: 1, OutboxState.PENDING: 1}
    assert (status.total, status.open) == (3, 1)
    assert await delivery.delivery_failures(PERIOD) == [
        # the mail server's reply names the address: masked there as in the column
        ('461000000002', 'n***@example.ru', f'recipient refused: {REJECTED_MASKED}')
    ]
    assert (await delivery.delivery_status('2026-09')).total == 0


def test_a_period_must_be_a_month():
    for good in ('2026-01', '2026-12'):
        dispatch.check_period(good)
    for bad in ('2026-13', '2026-1', '10.2026', '2026-00', ''):
        with pytest.raises(ValueError, match='ГГГГ-ММ'):
            dispatch.check_period(bad)
