"""Demo mode's mailbox: the latest messages the portal wrote, for the page that shows them to a newcomer who has
no SMTP server or SMS gateway."""

from __future__ import annotations

from dataclasses import dataclass

from models.outbox import OutboxMessage

#: the mailbox shows this many, newest first
LATEST = 50


@dataclass(frozen=True)
class DemoMessage:
    channel: str
    recipient: str
    subject: str
    body_text: str


async def latest_messages() -> list[DemoMessage]:
    """The last `LATEST` emails and SMS, newest first, whatever their delivery state."""
    messages = await OutboxMessage.all().order_by('-id').limit(LATEST)
    return [
        DemoMessage(channel=m.channel, recipient=m.recipient, subject=m.subject, body_text=m.body_text)
        for m in messages
    ]
