"""The outbox as customers and operators meet it: a message is stored with the change it announces, then reaches
the real SMTP server or SMS webhook, survives outages and restarts, and is never sent twice."""

from __future__ import annotations

import asyncio
import logging

import jinja2
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from models.outbox import OutboxMessage, OutboxState
from services.messaging import outbox
from tests.support.servers import free_port
from tests.support.settings import configure
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures('db')

PHONE = '+79001234567'
NOTICE = {'title': 'Платёж получен', 'lines': ['Сумма: 102.00 ₽']}


async def stored(message: OutboxMessage) -> OutboxMessage:
    return await OutboxMessage.get(id=message.id)


async def test_email_reaches_the_smtp_server_as_plain_text_and_html(mailbox, fake_clock):
    queued = await outbox.send_email(
        'ivanov@example.ru',
        'Уведомление о платеже',
        'notice',
        {**NOTICE, 'lines': ['Сумма: 102.00 ₽', '<script>alert(1)</script>']},
    )
    assert queued.state == OutboxState.PENDING
    assert mailbox.messages == []  # written first, delivered by the worker

    assert await outbox.deliver_due() == 1

    [mail] = mailbox.to('ivanov@example.ru')
    assert mail['Subject'] == 'Уведомление о платеже'
    assert mail.get_content_type() == 'multipart/alternative'
    assert 'ТестЭнергоСбыт' in mail['From']
    text = mail.get_body(('plain',)).get_content()
    html = mail.get_body(('html',)).get_content()
    for body in (text, html):
        assert 'ТестЭнергоСбыт' in body
        assert 'Платёж получен' in body
        assert 'Сумма: 102.00 ₽' in body
    assert '<script>alert(1)</script>' in text  # plain text is shown as is
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in html
    assert '<script>' not in html
    assert '<html lang="ru">' in html
    message = await stored(queued)
    assert message.state == OutboxState.SENT
    assert message.sent_at == fake_clock.current
    assert message.attempts == 1
    assert message.body_text.strip() == text.strip()  # not sensitive: kept for the operator


async def test_a_link_in_a_notice_stands_on_its_own_line(mailbox):
    link = 'http://portal.test/confirm?t=abc'
    await outbox.send_email('a@example.ru', 'Подтвердите адрес', 'notice', {**NOTICE, 'action_url': link})
    await outbox.deliver_due()

    [mail] = mailbox.to('a@example.ru')
    assert mailbox.link(mail) == link
    assert f'href="{link}"' in mail.get_body(('html',)).get_content()


async def test_a_missing_template_variable_fails_in_the_caller_not_in_the_worker():
    with pytest.raises(jinja2.UndefinedError):
        await outbox.send_email('a@example.ru', 'Тема', 'notice', {'title': 'Без строк'})
    assert await OutboxMessage.all().count() == 0


async def test_a_rolled_back_transaction_leaves_no_message(mailbox):
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await outbox.send_email('a@example.ru', 'Добро пожаловать', 'notice', NOTICE)
            await outbox.send_sms(PHONE, 'Код: 123456')
            raise RuntimeError('the cabinet could not be created')

    assert await OutboxMessage.all().count() == 0
    assert await outbox.deliver_due() == 0
    assert mailbox.messages == []


async def test_a_committed_transaction_delivers_its_message(mailbox):
    async with in_transaction():
        await outbox.send_email('a@example.ru', 'Добро пожаловать', 'notice', NOTICE)

    assert await outbox.deliver_due() == 1
    assert len(mailbox.to('a@example.ru')) == 1


async def test_smtp_down_keeps_the_message_and_retries_with_backoff(monkeypatch, mailbox, fake_clock):
    configure(monkeypatch, smtp_port=free_port())  # nothing listens there
    queued = await outbox.send_email('a@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)

    assert await outbox.deliver_due() == 1
    message = await stored(queued)
    assert message.state == OutboxState.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at == fake_clock.current + outbox.retry_strategy().first
    assert 'SMTP 127.0.0.1' in message.last_error

    assert await outbox.deliver_due() == 0  # not due yet
    fake_clock.advance(seconds=30)
    assert await outbox.deliver_due() == 1
    message = await stored(queued)
    assert message.attempts == 2
    assert message.next_attempt_at == fake_clock.current + 2 * outbox.retry_strategy().first  # exponential

    configure(monkeypatch, smtp_port=mailbox.port)  # the server is back
    fake_clock.advance(minutes=1)
    assert await outbox.deliver_due() == 1
    assert (await stored(queued)).state == OutboxState.SENT
    assert len(mailbox.to('a@example.ru')) == 1


async def test_a_rejected_recipient_fails_at_once_without_retries(mailbox, fake_clock):
    mailbox.rejections['nobody@example.ru'] = '550 5.1.1 no such user'
    queued = await outbox.send_email('nobody@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)

    assert await outbox.deliver_due() == 1
    message = await stored(queued)
    assert message.state == OutboxState.FAILED
    assert message.attempts == 1
    assert '550 5.1.1 no such user' in message.last_error

    mailbox.rejections.clear()
    fake_clock.advance(hours=2)
    assert await outbox.deliver_due() == 0
    assert mailbox.messages == []


async def test_a_deferred_recipient_is_retried(mailbox, fake_clock):
    mailbox.rejections['busy@example.ru'] = '450 4.2.1 mailbox busy'
    queued = await outbox.send_email('busy@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)

    await outbox.deliver_due()
    message = await stored(queued)
    assert message.state == OutboxState.PENDING
    assert '450 4.2.1 mailbox busy' in message.last_error

    mailbox.rejections.clear()
    fake_clock.advance(seconds=30)
    await outbox.deliver_due()
    assert (await stored(queued)).state == OutboxState.SENT
    assert len(mailbox.to('busy@example.ru')) == 1


async def test_retries_stop_after_the_configured_attempts(monkeypatch, mailbox, fake_clock):
    configure(monkeypatch, smtp_port=free_port(), outbox_max_attempts=3)
    queued = await outbox.send_email('a@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)

    for _ in range(3):
        assert await outbox.deliver_due() == 1
        fake_clock.advance(hours=1)

    message = await stored(queued)
    assert message.state == OutboxState.FAILED
    assert message.attempts == 3
    assert 'gave up after 3 attempts' in message.last_error
    configure(monkeypatch, smtp_port=mailbox.port)
    assert await outbox.deliver_due() == 0
    assert mailbox.messages == []


async def test_backoff_is_capped_at_an_hour(monkeypatch, fake_clock):
    configure(monkeypatch, smtp_port=free_port(), outbox_max_attempts=20)
    queued = await outbox.send_email('a@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)
    for _ in range(9):
        await outbox.deliver_due()
        fake_clock.advance(hours=1)
    await outbox.deliver_due()

    message = await stored(queued)
    assert message.attempts == 10
    assert message.next_attempt_at == fake_clock.current + outbox.retry_strategy().longest


async def test_a_message_abandoned_by_a_crashed_worker_is_taken_back_and_sent_once(mailbox, fake_clock):
    queued = await outbox.send_email('a@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)
    # what a process killed mid-delivery leaves behind: claimed, leased, never finished
    await OutboxMessage.filter(id=queued.id).update(
        state=OutboxState.SENDING, attempts=1, lease_until=fake_clock.current + outbox.LEASE
    )

    assert await outbox.deliver_due() == 0  # the lease still protects it
    fake_clock.advance(minutes=4)
    assert await outbox.deliver_due() == 0
    fake_clock.advance(minutes=2)
    assert await outbox.deliver_due() == 1
    assert await outbox.deliver_due() == 0

    assert len(mailbox.to('a@example.ru')) == 1
    message = await stored(queued)
    assert message.state == OutboxState.SENT
    assert message.attempts == 2
    assert 'interrupted' in message.last_error


async def test_an_abandoned_message_out_of_attempts_fails(monkeypatch, mailbox, fake_clock):
    configure(monkeypatch, outbox_max_attempts=2)
    queued = await outbox.send_email('a@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)
    # it crashed the worker twice (say, a poisonous message): no third crash
    await OutboxMessage.filter(id=queued.id).update(
        state=OutboxState.SENDING, attempts=2, lease_until=fake_clock.current
    )
    fake_clock.advance(seconds=1)

    assert await outbox.deliver_due() == 0
    assert (await stored(queued)).state == OutboxState.FAILED
    assert mailbox.messages == []


async def test_concurrent_passes_send_each_message_exactly_once(mailbox, sms):
    addresses = [f'user{i}@example.ru' for i in range(8)]
    for address in addresses:
        await outbox.send_email(address, 'Счёт за ноябрь', 'notice', NOTICE)
    await outbox.send_sms(PHONE, 'Код: 123456')

    handled = await asyncio.gather(outbox.deliver_due(), outbox.deliver_due(), outbox.deliver_due())

    assert sum(handled) == 9
    assert sorted(m['To'] for m in mailbox.messages) == sorted(addresses)
    assert sms.to(PHONE) == ['Код: 123456']
    assert await OutboxMessage.filter(state=OutboxState.SENT).count() == 9


async def test_sensitive_bodies_are_blanked_once_sent(mailbox, sms):
    email = await outbox.send_email(
        'a@example.ru', 'Подтвердите адрес', 'notice', {**NOTICE, 'action_url': 'http://portal.test/c?t=secret'},
        sensitive=True,
    )  # fmt: skip
    code = await outbox.send_sms(PHONE, 'Код: 654321')

    await outbox.deliver_due()

    assert 't=secret' in mailbox.text(mailbox.to('a@example.ru')[0])
    assert sms.to(PHONE) == ['Код: 654321']
    for queued in (email, code):
        message = await stored(queued)
        assert message.state == OutboxState.SENT
        assert (message.body_text, message.body_html) == ('', '')
        assert message.recipient  # the operator still sees who got what and when


async def test_a_failed_sensitive_message_is_blanked_too(sms):
    sms.status = 400
    code = await outbox.send_sms(PHONE, 'Код: 654321')

    await outbox.deliver_due()

    message = await stored(code)
    assert message.state == OutboxState.FAILED
    assert message.body_text == ''


async def test_demo_mode_keeps_sensitive_bodies_for_the_demo_mailbox(monkeypatch, mailbox):
    configure(monkeypatch, demo='true')
    queued = await outbox.send_sms(PHONE, 'Код: 654321')

    await outbox.deliver_due()

    message = await stored(queued)
    assert message.state == OutboxState.SENT
    assert message.body_text == 'Код: 654321'


async def test_sms_goes_to_the_webhook_as_json(sms):
    queued = await outbox.send_sms(PHONE, 'ТестЭнергоСбыт: код 123456')

    assert await outbox.deliver_due() == 1

    assert sms.requests == [('/sms', {'phone': PHONE, 'text': 'ТестЭнергоСбыт: код 123456'})]
    assert (await stored(queued)).state == OutboxState.SENT


async def test_sms_gateway_error_500_is_retried(sms, fake_clock):
    sms.status = 500
    queued = await outbox.send_sms(PHONE, 'Код: 123456')

    await outbox.deliver_due()
    message = await stored(queued)
    assert message.state == OutboxState.PENDING
    assert 'HTTP 500' in message.last_error

    sms.status = 200
    fake_clock.advance(seconds=30)
    await outbox.deliver_due()
    assert (await stored(queued)).state == OutboxState.SENT
    assert sms.to(PHONE) == ['Код: 123456']


async def test_sms_provider_rejecting_the_number_fails_at_once(monkeypatch, sms):
    configure(monkeypatch, sms_provider='smsru', sms_api_key='KEY')
    sms.reply = {
        'status': 'OK',
        'status_code': 100,
        'sms': {'79001234567': {'status': 'ERROR', 'status_code': 207, 'status_text': 'Нельзя отправлять'}},
    }
    queued = await outbox.send_sms(PHONE, 'Код: 123456')

    await outbox.deliver_due()

    message = await stored(queued)
    assert message.state == OutboxState.FAILED
    assert '207' in message.last_error


async def test_the_worker_delivers_what_was_left_and_what_comes_while_it_runs(monkeypatch, mailbox, sms):
    configure(monkeypatch, outbox_poll_seconds=60)  # only the wake-up can make it quick
    left = await outbox.send_email('left@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)  # queued before a restart
    worker = outbox.OutboxWorker()
    worker.start()
    try:
        await eventually(lambda: mailbox.to('left@example.ru'), within=10, what='the message left from before')
        async with in_transaction():  # as the flows do: the message commits with the cabinet
            await outbox.send_sms(PHONE, 'Код: 123456')
            await asyncio.sleep(0.1)  # the flow's work after queueing: the worker must look again after the commit
        await eventually(lambda: sms.to(PHONE), within=10, what='the SMS queued while the worker runs')
        await outbox.send_email('new@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)
        await eventually(lambda: mailbox.to('new@example.ru'), within=10, what='the email queued while the worker runs')
    finally:
        await worker.stop()

    # stop() lets the pass in hand finish: every message is marked by now
    assert (await stored(left)).state == OutboxState.SENT
    assert await OutboxMessage.exclude(state=OutboxState.SENT).count() == 0
    assert len(mailbox.messages) == 2


async def test_a_failing_pass_is_logged_and_the_worker_carries_on(mailbox, caplog):
    db = connections.get('default')
    await db.execute_script('ALTER TABLE outbox_message RENAME TO outbox_message_away')
    worker = outbox.OutboxWorker()
    worker.start()
    try:
        with caplog.at_level(logging.ERROR, logger='services.messaging.outbox'):
            await eventually(lambda: 'delivery pass failed' in caplog.text, within=10, what='the logged failure')
        await db.execute_script('ALTER TABLE outbox_message_away RENAME TO outbox_message')
        await outbox.send_email('a@example.ru', 'Счёт за ноябрь', 'notice', NOTICE)
        await eventually(lambda: mailbox.to('a@example.ru'), within=10, what='delivery after the failure')
    finally:
        await worker.stop()


async def test_stop_without_start_and_twice_is_harmless():
    worker = outbox.OutboxWorker()
    await worker.stop()
    worker.start()
    await worker.stop()
    await worker.stop()


async def test_a_long_cyrillic_subject_keeps_its_spaces(mailbox):
    # long enough to be folded twice at 78 characters: every space must survive
    subject = 'Получение квитанции на электронную почту отключено для лицевого счёта номер 461000000001 в кабинете'
    await outbox.send_email('ivanov@example.ru', subject, 'notice', {'title': 'Т', 'lines': []})
    await outbox.deliver_due()
    assert mailbox.wait_for('ivanov@example.ru')[0]['Subject'] == subject


async def test_many_emails_queued_at_once_keep_their_order_recipient_and_language(mailbox):
    emails = [
        outbox.Email(f'user{i}@example.ru', f'Тема {i}', 'notice', NOTICE, language=('ru', 'en')[i % 2])
        for i in range(7)
    ]
    before = await OutboxMessage.all().count()

    messages = await outbox.send_emails(emails)

    assert [message.recipient for message in messages] == [email.to for email in emails]
    assert [message.id for message in messages] == sorted(message.id for message in messages)
    for email, message in zip(emails, messages, strict=True):
        row = await stored(message)  # the id given to each message is its own row's
        assert (row.recipient, row.subject) == (email.to, email.subject)
        assert f'lang="{email.language}"' in row.body_html
    assert await OutboxMessage.all().count() == before + 7


async def test_the_lanes_of_a_pass_record_each_message_sent_once_and_tell_its_topic(monkeypatch, mailbox):
    heard: list[list[int]] = []

    async def on_sent(messages: list[OutboxMessage]) -> None:
        heard.append([message.id for message in messages])

    async def on_failed(*_: object) -> None:
        raise AssertionError('nothing fails here')

    monkeypatch.setitem(
        outbox.plugins._outcomes, 'test', outbox.Outcome(on_sent=on_sent, on_failed_permanently=on_failed)
    )
    queued = [
        await outbox.send_email(f'user{i}@example.ru', 'Код', 'notice', NOTICE, sensitive=i % 3 == 0, topic='test')
        for i in range(12)
    ]

    assert await outbox.deliver_due(connections=4) == 12

    assert sorted(id_ for batch in heard for id_ in batch) == [message.id for message in queued]
    assert len(mailbox.messages) == 12
    for message in queued:
        row = await stored(message)
        assert row.state == OutboxState.SENT and row.sent_at is not None
        assert (row.body_text == '') == message.sensitive  # a code does not outlive its delivery


async def test_an_email_that_cannot_be_built_fails_alone_and_the_others_of_its_batch_go(mailbox):
    good = [await outbox.send_email(f'user{i}@example.ru', 'Тема', 'notice', NOTICE) for i in range(2)]
    broken = await outbox.send_email('not an address', 'Тема', 'notice', NOTICE)
    good.append(await outbox.send_email('user2@example.ru', 'Тема', 'notice', NOTICE))

    await outbox.deliver_due()

    assert sorted(message['To'] for message in mailbox.messages) == [message.recipient for message in good]
    row = await stored(broken)
    assert row.state == OutboxState.FAILED
    assert 'cannot build the message' in row.last_error and 'is not an email address' in row.last_error
    assert row.attempts == 1  # final at once: retrying cannot mend the address
