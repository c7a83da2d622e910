"""What the housekeeping keeps only for a while: the text of sent messages (PORTAL_KEEP_SENT_DAYS) and the audit
events (PORTAL_KEEP_AUDIT_DAYS), on the clock of the test."""

from __future__ import annotations

import pytest

from models.outbox import OutboxMessage, OutboxState
from models.security import AuditEvent
from services.identity import audit, housekeeping
from services.messaging import outbox
from services.messaging.outbox import retention
from tests.support.delivery import deliver
from tests.support.settings import configure

pytestmark = pytest.mark.usefixtures('db')

NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


async def sent_email(to: str = 'ivanov@example.ru') -> OutboxMessage:
    message = await outbox.send_email(to, 'Платёж получен', 'notice', NOTICE)
    await deliver()
    return await OutboxMessage.get(id=message.id)


async def test_a_sent_message_loses_its_text_after_the_kept_days(fake_clock, mailbox):
    sent = await sent_email()
    await OutboxMessage.filter(id=sent.id).update(attachment={'bill_id': 5})
    assert sent.state == OutboxState.SENT and 'Сумма' in sent.body_text and sent.body_html
    fake_clock.advance(days=29)
    assert (await housekeeping.sweep())['sent_texts'] == 0

    fake_clock.advance(days=2)
    waiting = await outbox.send_email('petrov@example.ru', 'Платёж получен', 'notice', NOTICE)  # not sent yet
    assert (await housekeeping.sweep())['sent_texts'] == 1

    erased = await OutboxMessage.get(id=sent.id)
    assert (erased.body_text, erased.body_html, erased.attachment) == ('', '', None)
    assert (erased.subject, erased.recipient, erased.state) == ('Платёж получен', 'ivanov@example.ru', OutboxState.SENT)
    assert 'Сумма' in (await OutboxMessage.get(id=waiting.id)).body_text
    assert (await housekeeping.sweep())['sent_texts'] == 0  # once


async def test_a_failed_message_keeps_its_text_for_the_operator(fake_clock, mailbox):
    mailbox.rejections['bounced@example.ru'] = '550 no such user'
    message = await outbox.send_email('bounced@example.ru', 'Платёж получен', 'notice', NOTICE)
    await deliver()
    fake_clock.advance(days=100)

    assert (await housekeeping.sweep())['sent_texts'] == 0
    failed = await OutboxMessage.get(id=message.id)
    assert failed.state == OutboxState.FAILED and 'Сумма' in failed.body_text


async def test_many_messages_are_erased_in_batches(fake_clock, mailbox, monkeypatch):
    monkeypatch.setattr(retention, 'BATCH', 2)
    for n in range(5):
        await sent_email(f'customer{n}@example.ru')
    fake_clock.advance(days=31)

    assert (await housekeeping.sweep())['sent_texts'] == 5
    assert await OutboxMessage.filter(body_text='').count() == 5


async def test_audit_events_are_deleted_after_the_kept_days(fake_clock, monkeypatch):
    monkeypatch.setattr(audit, 'PURGE_BATCH', 2)
    for n in range(3):
        await audit.record('login_failure', login=f'old{n}', ip='203.0.113.1')
    fake_clock.advance(days=300)
    await audit.record('login_success', login='recent', ip='203.0.113.1')
    fake_clock.advance(days=65, seconds=1)

    assert (await housekeeping.sweep())['audit_events'] == 3
    assert await AuditEvent.all().values_list('login', flat=True) == ['recent']


async def test_zero_days_keep_everything(fake_clock, mailbox, monkeypatch):
    configure(monkeypatch, keep_sent_days=0, keep_audit_days=0)
    sent = await sent_email()
    await audit.record('login_success', login='ivanov')
    fake_clock.advance(days=5000)

    removed = await housekeeping.sweep()

    assert (removed['sent_texts'], removed['audit_events']) == (0, 0)
    assert (await OutboxMessage.get(id=sent.id)).body_text
    assert await AuditEvent.all().count() == 1
