"""What `outbox status` and the console's outbox dashboard show: the messages per channel and state, the oldest one
waiting, the last that failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tortoise.functions import Count

from models.outbox import OutboxMessage, OutboxState
from services.identity.contacts import mask_within
from services.messaging.outbox import store

CHANNELS = (store.EMAIL, store.SMS)
#: in the order a message goes through them
STATES = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.SENT, OutboxState.FAILED)
#: the failed messages `outbox status` lists, newest first
RECENT_FAILED = 5


@dataclass(frozen=True)
class ListedMessage:
    """A message as the operator sees it: the recipient masked, no text."""

    id: int
    channel: str
    recipient: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str

    @classmethod
    def of(cls, message: OutboxMessage) -> ListedMessage:
        recipient = store.mask(message.channel, message.recipient)
        # a mail server's refusal names the address («550 5.1.1 <ivanov@example.ru>: no such user»): masked there too
        error = mask_within(message.last_error, message.recipient, recipient)
        return cls(
            message.id, message.channel, recipient, message.created_at, message.attempts,
            message.next_attempt_at, error,
        )  # fmt: skip


@dataclass(frozen=True)
class OutboxStatus:
    #: messages per (channel, state); a pair without any is missing
    counts: Mapping[tuple[str, OutboxState], int]
    oldest_pending: ListedMessage | None
    recent_failed: list[ListedMessage]

    def count(self, channel: str, state: OutboxState) -> int:
        return self.counts.get((channel, state), 0)


async def read_status(failed: int = RECENT_FAILED) -> OutboxStatus:
    """The counts, the oldest message waiting and the last `failed` messages that failed for good."""
    rows = (
        await OutboxMessage.annotate(count=Count('id'))
        .group_by('channel', 'state')
        .values_list('channel', 'state', 'count')
    )
    oldest = await OutboxMessage.filter(state=OutboxState.PENDING).order_by('created_at', 'id').first()
    recent = await OutboxMessage.filter(state=OutboxState.FAILED).order_by('-id').limit(failed)
    return OutboxStatus(
        counts={(channel, OutboxState(state)): count for channel, state, count in rows},
        oldest_pending=ListedMessage.of(oldest) if oldest is not None else None,
        recent_failed=[ListedMessage.of(message) for message in recent],
    )
