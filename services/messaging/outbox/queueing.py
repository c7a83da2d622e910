"""Queueing: an email or SMS becomes a row in the caller's transaction, so a message exists exactly when the change
it announces does; many rows go in one INSERT (the monthly bills are queued hundreds at a time)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient

from models.outbox import OutboxMessage
from services import clock
from services.messaging.outbox import rendering, store, worker
from services.texts import current_language

log = logging.getLogger(__name__)

#: rows per INSERT: far below the bound parameters SQLite and PostgreSQL take in one statement (32,766)
INSERT_ROWS = 500
#: a message queued inside a transaction is invisible to other connections until the commit (the poll is the backstop)
AFTER_COMMIT_SECONDS = 0.2


@dataclass(frozen=True)
class Email:
    """An email to queue: rendered from templates/email/{template}.txt and .html (both extend base.*) in `language`,
    with the files a registered renderer makes from `attachment` when the email is built, and its outcome told to
    `topic`'s hooks."""

    to: str
    subject: str
    template: str
    context: Mapping[str, Any]
    sensitive: bool = False
    attachment: Mapping[str, Any] | None = None
    topic: str = ''
    language: str = field(default_factory=current_language)


async def send_email(
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    *,
    sensitive: bool = False,
    attachment: Mapping[str, Any] | None = None,
    topic: str = '',
) -> OutboxMessage:
    """Queue an email (see `Email`). A missing context variable raises here, in the caller, not later in the worker."""
    [message] = await send_emails([Email(to, subject, template, context, sensitive, attachment, topic)])
    return message


async def send_emails(emails: Sequence[Email]) -> list[OutboxMessage]:
    """Queue several emails with one INSERT; their messages, in order."""
    now = clock.now()
    messages = []
    for email in emails:
        text, html = rendering.render(email.template, email.context, email.language)
        messages.append(
            OutboxMessage(
                channel=store.EMAIL,
                recipient=email.to,
                subject=email.subject,
                body_text=text,
                body_html=html,
                sensitive=email.sensitive,
                attachment=dict(email.attachment) if email.attachment else None,
                topic=email.topic,
                next_attempt_at=now,
                created_at=now,
            )
        )
    await _enqueue(messages)
    return messages


async def send_sms(phone: str, text: str, *, sensitive: bool = True) -> OutboxMessage:
    """Queue an SMS to an E.164 number. Sensitive by default: most SMS carry a code."""
    [message] = await send_sms_batch([(phone, text)], sensitive=sensitive)
    return message


async def send_sms_batch(texts: Sequence[tuple[str, str]], *, sensitive: bool = True) -> list[OutboxMessage]:
    """Queue several SMS, (phone, text) each, with one INSERT; their messages, in order."""
    now = clock.now()
    messages = [
        OutboxMessage(
            channel=store.SMS, recipient=phone, body_text=text, sensitive=sensitive, next_attempt_at=now, created_at=now
        )
        for phone, text in texts
    ]
    await _enqueue(messages)
    return messages


async def _enqueue(messages: list[OutboxMessage]) -> None:
    await _insert(messages)
    for message in messages:
        recipient = store.mask(message.channel, message.recipient)
        log.info('outbox #%s queued: %s to %s', message.id, message.channel, recipient)
    worker.wake_workers()
    if worker.running() and isinstance(OutboxMessage._meta.db, TransactionalDBClient):
        # the worker cannot see the messages before the caller commits: wake it again shortly after
        asyncio.get_running_loop().call_later(AFTER_COMMIT_SECONDS, worker.wake_workers)


async def _insert(messages: list[OutboxMessage]) -> None:
    """INSERT the messages, many rows per statement, and give each its id. A multi-row INSERT numbers its rows in
    the order they are listed (SQLite and PostgreSQL alike), whatever order RETURNING hands them back in."""
    meta = OutboxMessage._meta
    names = [name for name in meta.fields_db_projection if name != meta.pk_attr]
    for start in range(0, len(messages), INSERT_ROWS):
        chunk = messages[start : start + INSERT_ROWS]
        query = meta.db.query_class.into(meta.basetable).columns(*(meta.fields_db_projection[n] for n in names))
        for message in chunk:
            query = query.insert(*(meta.fields_map[n].to_db_value(getattr(message, n), message) for n in names))
        rows = await meta.db.execute_query_dict(*query.returning(meta.db_pk_column).get_parameterized_sql())
        for message, id_ in zip(chunk, sorted(row[meta.db_pk_column] for row in rows), strict=True):
            message.pk = id_
            message._saved_in_db = True  # Tortoise's own mark of a row it has stored (other rows may refer to it)
