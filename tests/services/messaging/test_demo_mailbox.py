"""Demo mode's mailbox: what the newcomer reads at /demo/mail is the latest messages, newest first."""

from __future__ import annotations

import pytest

from models.outbox import OutboxMessage, OutboxState
from services import clock
from services.messaging import demo_mailbox
from services.messaging.demo_mailbox import DemoMessage

pytestmark = pytest.mark.usefixtures('db')


async def written(count: int) -> None:
    now = clock.now()
    await OutboxMessage.bulk_create(
        OutboxMessage(
            channel='sms',
            recipient='+79001234567',
            body_text=f'Код: {number}',
            state=OutboxState.SENT,
            next_attempt_at=now,
            created_at=now,
        )
        for number in range(count)
    )


async def test_the_mailbox_shows_the_newest_first():
    now = clock.now()
    await OutboxMessage.create(
        channel='email',
        recipient='ivanov@example.ru',
        subject='Подтверждение',
        body_text='https://portal/confirm?token=x',
        next_attempt_at=now,
        created_at=now,
    )
    await written(1)
    assert await demo_mailbox.latest_messages() == [
        DemoMessage(channel='sms', recipient='+79001234567', subject='', body_text='Код: 0'),
        DemoMessage(
            channel='email',
            recipient='ivanov@example.ru',
            subject='Подтверждение',
            body_text='https://portal/confirm?token=x',
        ),
    ]


async def test_the_mailbox_shows_the_latest_fifty():
    await written(60)
    messages = await demo_mailbox.latest_messages()
    assert len(messages) == 50
    assert messages[0].body_text == 'Код: 59'
    assert messages[-1].body_text == 'Код: 10'
