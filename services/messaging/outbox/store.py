"""The outbox's rows as its parts share them: the channels, the rows a worker owns, what a delivered sensitive
message keeps, and how logs and the operator's status name messages and recipients."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from tortoise.expressions import Q
from tortoise.queryset import QuerySet, UpdateQuery

from models.outbox import OutboxMessage, OutboxState
from services import config
from services.identity.contacts import mask_email, mask_phone

log = logging.getLogger(__name__)

EMAIL = 'email'
SMS = 'sms'

#: what a delivered sensitive message keeps of its text
BLANK = {'body_text': '', 'body_html': ''}


def mask(channel: str, recipient: str) -> str:
    """The recipient as logs and the operator's status show it."""
    return mask_email(recipient) if channel == EMAIL else mask_phone(recipient)


def id_list(ids: Iterable[int]) -> str:
    """'#1, #2' as the log names messages."""
    return ', '.join(f'#{id_}' for id_ in ids)


def owned(*messages: OutboxMessage) -> QuerySet[OutboxMessage]:
    # `attempts` grows with every claim: if it moved, the lease expired and another worker owns the message now
    mine = Q(*(Q(id=message.id, attempts=message.attempts) for message in messages), join_type=Q.OR)
    return OutboxMessage.filter(mine, state=OutboxState.SENDING)


async def updated_ids(update: UpdateQuery) -> list[int]:
    """Run an UPDATE and return the ids of the rows it changed (SQLite 3.35+ and PostgreSQL have RETURNING)."""
    update.sql()  # builds `update.query`, to which RETURNING is added
    rows = await OutboxMessage._meta.db.execute_query_dict(*update.query.returning('id').get_parameterized_sql())
    return [row['id'] for row in rows]


def lost_lease(message: OutboxMessage) -> None:
    log.warning('outbox #%s: lease expired during delivery; another worker has taken the message over', message.id)


def blanked(message: OutboxMessage) -> bool:
    # codes and links must not outlive their delivery in the database (the demo mailbox page shows them)
    return message.sensitive and not config.settings.demo
