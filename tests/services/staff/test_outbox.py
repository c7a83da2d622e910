"""The console's outbox dashboard as staff use it: counts, the oldest message waiting and the failures with their
reasons (no text); an operator sends a failed email again, one or all, and it really reaches the SMTP server; a viewer
cannot; codes and links erased at their failure stay failed; two clicks queue a message once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from models.outbox import OutboxMessage, OutboxState
from models.security import AuditEvent
from models.staff import Staff, StaffRole
from services import clock
from services.errors import InvalidInput, NotAllowed
from services.messaging import outbox
from services.staff.outbox import outbox_dashboard, retry_all_failed, retry_message
from services.staff.roles import StaffForbidden
from tests.support.delivery import deliver
from tests.support.servers import REJECTED

pytestmark = pytest.mark.usefixtures('db')

NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}
PHONE = '+79001234567'


async def member(role: StaffRole) -> Staff:
    # the staff factory of the staff-accounts part replaces this
    return await Staff.create(login=role.value, role=role, created_at=clock.now())


async def failed_email(mailbox, to: str) -> OutboxMessage:
    """An email the recipient's server rejected for good (550), the server since fixed."""
    mailbox.rejections[to] = REJECTED
    message = await outbox.send_email(to, 'Платёж получен', 'notice', NOTICE)
    await deliver()
    del mailbox.rejections[to]
    return await OutboxMessage.get(id=message.id)


async def failed_code(sms) -> OutboxMessage:
    """An SMS code the provider refused: its text was erased when it failed."""
    sms.status = 400
    message = await outbox.send_sms(PHONE, 'Код: 654321')
    await deliver()
    sms.status = 200
    return await OutboxMessage.get(id=message.id)


async def test_the_dashboard_shows_counts_the_oldest_waiting_and_failures_without_text(mailbox, sms, fake_clock):
    viewer = await member(StaffRole.VIEWER)
    failed = await failed_email(mailbox, 'nobody@example.ru')
    await failed_code(sms)
    fake_clock.advance(minutes=5)
    oldest = await outbox.send_email('a@example.ru', 'Первое', 'notice', NOTICE)
    fake_clock.advance(minutes=12)
    await outbox.send_sms(PHONE, 'Второе', sensitive=False)

    dashboard = await outbox_dashboard(viewer)
    status = dashboard.status
    assert (status.count('email', OutboxState.PENDING), status.count('sms', OutboxState.PENDING)) == (1, 1)
    assert (status.count('email', OutboxState.FAILED), status.count('sms', OutboxState.FAILED)) == (1, 1)
    assert status.oldest_pending.id == oldest.id
    assert status.oldest_pending.recipient == 'a***@example.ru'
    assert dashboard.oldest_waiting == timedelta(minutes=12)
    assert (dashboard.failed, dashboard.resendable) == (2, 1)
    [code, email] = status.recent_failed
    assert (email.id, email.recipient) == (failed.id, 'n***@example.ru')
    assert '550 5.1.1' in email.last_error
    assert code.recipient != PHONE  # masked
    # what a failure shows: who, when, how often and why; never the text of a code or a link
    assert {field.name for field in dataclasses.fields(email)} == {
        'id', 'channel', 'recipient', 'created_at', 'attempts', 'next_attempt_at', 'last_error',
    }  # fmt: skip


async def test_an_operator_sends_a_failed_email_again_and_it_arrives(mailbox):
    operator = await member(StaffRole.OPERATOR)
    failed = await failed_email(mailbox, 'nobody@example.ru')
    assert (failed.state, mailbox.to('nobody@example.ru')) == (OutboxState.FAILED, [])

    await retry_message(operator, str(failed.id))  # as the page's button sends it, or a crafted event
    message = await OutboxMessage.get(id=failed.id)
    assert (message.state, message.attempts) == (OutboxState.PENDING, 0)
    await deliver()

    [mail] = mailbox.to('nobody@example.ru')
    assert mail['Subject'] == 'Платёж получен'
    assert (await OutboxMessage.get(id=failed.id)).state == OutboxState.SENT
    [event] = await AuditEvent.filter(event='staff_outbox_retry')
    assert (event.staff_id, event.detail) == (operator.id, {'message': failed.id})


async def test_a_viewer_cannot_send_again(mailbox):
    viewer = await member(StaffRole.VIEWER)
    failed = await failed_email(mailbox, 'nobody@example.ru')

    with pytest.raises(StaffForbidden, match='У вашей роли нет права'):
        await retry_message(viewer, failed.id)
    with pytest.raises(StaffForbidden):
        await retry_all_failed(viewer)
    assert (await OutboxMessage.get(id=failed.id)).state == OutboxState.FAILED
    assert not await AuditEvent.filter(event__startswith='staff_outbox').exists()


async def test_retry_all_sends_every_failed_email_again_but_no_erased_code(mailbox, sms):
    admin = await member(StaffRole.ADMIN)
    first = await failed_email(mailbox, 'first@example.ru')
    second = await failed_email(mailbox, 'second@example.ru')
    code = await failed_code(sms)
    assert code.body_text == ''

    result = await retry_all_failed(admin)
    assert (result.retried, result.left) == (2, 1)
    await deliver()

    assert len(mailbox.to('first@example.ru')) == len(mailbox.to('second@example.ru')) == 1
    states = dict(await OutboxMessage.all().values_list('id', 'state'))
    assert states == {first.id: OutboxState.SENT, second.id: OutboxState.SENT, code.id: OutboxState.FAILED}
    assert sms.requests == []  # an empty SMS never goes out
    [event] = await AuditEvent.filter(event='staff_outbox_retry_all')
    assert (event.staff_id, event.detail) == (admin.id, {'retried': 2, 'left': 1})

    with pytest.raises(NotAllowed, match='код или ссылка'):
        await retry_message(admin, code.id)


async def test_two_clicks_at_once_queue_each_message_once(mailbox):
    operator = await member(StaffRole.OPERATOR)
    failed = [await failed_email(mailbox, f'user{n}@example.ru') for n in range(3)]

    both = await asyncio.gather(retry_all_failed(operator), retry_all_failed(operator))
    assert sorted(result.retried for result in both) == [0, 3]

    one = await asyncio.gather(
        retry_message(operator, failed[0].id), retry_message(operator, failed[0].id), return_exceptions=True
    )
    assert all(isinstance(outcome, NotAllowed) for outcome in one)  # both came after retry all
    await deliver()
    assert all(len(mailbox.to(f'user{n}@example.ru')) == 1 for n in range(3))


async def test_a_message_that_has_not_failed_is_not_sent_again(mailbox):
    operator = await member(StaffRole.OPERATOR)
    sent = await outbox.send_email('a@example.ru', 'Платёж получен', 'notice', NOTICE)
    await deliver()

    with pytest.raises(NotAllowed, match='уже не в ошибке'):
        await retry_message(operator, sent.id)
    with pytest.raises(NotAllowed, match='уже не в ошибке'):
        await retry_message(operator, 10**12)  # no such message
    await deliver()
    assert len(mailbox.to('a@example.ru')) == 1


@pytest.mark.parametrize('message_id', ['abc', '1.5', '-1', 0, True, None, [1], {'id': 1}, 2**63, 'x' * 1024 * 1024])
async def test_a_message_id_that_is_no_id_is_refused_at_its_field(message_id):
    operator = await member(StaffRole.OPERATOR)
    with pytest.raises(InvalidInput) as refused:
        await retry_message(operator, message_id)
    assert list(refused.value.errors) == ['message']
