"""How long a delivered message keeps its text: what it said (a bill's wording, an address, a link) is erased
PORTAL_KEEP_SENT_DAYS after delivery; the row stays, so `outbox status`, the e-bill's delivery and the counts do."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q

from models.outbox import OutboxMessage, OutboxState
from services import clock

#: messages one UPDATE erases: a first run over years of mail must not hold the write lock for long
BATCH = 1000
#: what an erased message keeps of its body (its subject, recipient and dates stay)
ERASED: dict[str, Any] = {'body_text': '', 'body_html': '', 'attachment': None}


async def erase_sent_bodies(older_than: timedelta) -> int:
    """Erase the text, HTML and attachment of the messages sent before `older_than` ago, in batches; how many."""
    cutoff, erased = clock.now() - older_than, 0
    unerased = Q(body_text__not='') | Q(body_html__not='') | Q(attachment__isnull=False)
    old = OutboxMessage.filter(unerased, state=OutboxState.SENT, sent_at__lt=cutoff)
    while ids := await old.limit(BATCH).values_list('id', flat=True):
        erased += await OutboxMessage.filter(id__in=ids).update(**ERASED)
        await asyncio.sleep(0)  # pages and the worker write between the batches
    return erased
