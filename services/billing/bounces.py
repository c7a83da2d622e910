"""What a bill email's outcome means for the e-bill: the outbox plug-in that attaches a bill's PDF and hears how its
email ended, and the rule it applies: a permanent rejection (5xx) counts a bounce, 3 in a row turn e-bill off, a bill
that goes out ends the run. `python main.py` installs the plug-in (main.install_plugins)."""

from __future__ import annotations

import logging

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from models.billing import Account, Bill
from models.cabinet import Cabinet
from models.ebill import BillDelivery, EBill
from models.outbox import OutboxMessage
from services import clock, config
from services.accounts.overview import BillDocument, bill_data, bill_lines, render_document
from services.billing.dispatch import ATTACHMENT, TOPIC
from services.identity import audit
from services.identity.contacts import mask_email
from services.messaging import outbox
from services.texts import in_language, t

log = logging.getLogger(__name__)

#: consecutive permanent rejections of the address that turn e-bill off
BOUNCES_TO_OFF = 3


def outbox_plugin() -> outbox.Plugin:
    """What the outbox needs to deliver a bill: its PDF, rendered when the email is built, and the e-bill's hooks.
    Each plug-in keeps its own note of the bills that may end a run of bounces."""
    hooks = _BillOutcomes()
    return outbox.Plugin(
        attachments={ATTACHMENT: outbox.Attachment(hooks.load_bills, render_document)},
        outcomes={
            TOPIC: outbox.Outcome(
                on_sent=hooks.on_sent, on_failed_permanently=_on_failed, hears_sent=hooks.ends_bounces
            )
        },
    )


class _BillOutcomes:
    """The hooks that need to remember, between reading a bill to send it and hearing that it went out, whether its
    subscription counted rejections: only then does its delivery end the run of rejections (for all the others, being
    sent changes nothing but the outbox message, the delivery's state)."""

    def __init__(self) -> None:
        self._bouncing: set[int] = set()

    async def load_bills(self, bill_ids: list[int]) -> dict[int, BillDocument]:
        """What the PDFs of these bills show, read in two queries (bills with accounts and regions, then their lines),
        and which of them go to a subscription that counts rejections."""
        bills = await Bill.filter(id__in=bill_ids).select_related('account__region').prefetch_related(bill_lines())
        bouncing = BillDelivery.filter(bill_id__in=bill_ids, ebill__bounces__gt=0)
        self._bouncing.update(await bouncing.values_list('bill_id', flat=True))
        return {bill.id: bill_data(bill.account, bill) for bill in bills}

    def ends_bounces(self, message: OutboxMessage) -> bool:
        return (message.attachment or {}).get(ATTACHMENT) in self._bouncing

    async def on_sent(self, messages: list[OutboxMessage]) -> None:
        bills = [message.attachment[ATTACHMENT] for message in messages]
        self._bouncing.difference_update(bills)
        await record_delivery(Subquery(BillDelivery.filter(bill_id__in=bills).values('ebill_id')))


async def _on_failed(message: OutboxMessage, reason: str, refused: bool) -> None:
    if not refused:  # attempts running out (SMTP down for hours) says nothing about the address
        return
    delivery = await BillDelivery.get_or_none(message_id=message.id)
    if delivery is not None:
        await record_bounce(delivery.ebill_id, reason, email=delivery.email)


async def record_bounce(ebill_id: int, reason: str, *, email: str | None = None) -> None:
    """The dispatch's bill to `email` (None: the subscription's address) was rejected permanently (5xx). The 3rd
    rejection in a row turns e-bill off and tells the customer by SMS when the phone is confirmed; no email, as the
    address is the one that bounces."""
    async with in_transaction():
        ebill = await EBill.select_for_update().get_or_none(id=ebill_id)
        if ebill is None:
            return
        if email is not None and ebill.email != email:
            # the customer changed the address after the bill was queued: the old one's rejection is not the new one's
            log.info('e-bill #%s: a bill to its previous address bounced; not counted', ebill.id)
            return
        ebill.bounces += 1
        ebill.last_bounce = reason
        ebill.updated_at = clock.now()
        turning_off = ebill.enabled and ebill.bounces >= BOUNCES_TO_OFF
        if turning_off:
            ebill.enabled = False
        await ebill.save(update_fields=['bounces', 'last_bounce', 'enabled', 'updated_at'])
        # the reason names the address: it stays on the row (last_bounce), not in logs and audit
        log.info('e-bill #%s bounced, %s in a row', ebill.id, ebill.bounces)
        if not turning_off:
            return
        account = await Account.get(id=ebill.account_id)
        cabinet = await Cabinet.get(id=ebill.cabinet_id)
        notified = bool(cabinet.phone and cabinet.phone_confirmed_at)
        if notified:
            # the outbox's worker is no customer's request: the cabinet's own language
            with in_language(cabinet.language):
                text = t(
                    'sms.ebill_bounced_off',
                    number=account.number,
                    email=mask_email(ebill.email),
                    brand=config.settings.brand_name,
                )
            await outbox.send_sms(cabinet.phone, text, sensitive=False)
        await audit.record(
            'ebill_bounced_off',
            cabinet_id=cabinet.id,
            login=cabinet.login,
            account=account.number,
            email=mask_email(ebill.email),
            bounces=ebill.bounces,
            sms=notified,
        )


async def record_delivery(ebill_id: int | Subquery) -> None:
    """The dispatch's bill was accepted: the run of rejections is over. One UPDATE that usually touches no row.

    A subscription the bounces turned off keeps its warning: a late success of an earlier bill does not clear it."""
    ids = ebill_id if isinstance(ebill_id, Subquery) else [ebill_id]
    await EBill.filter(id__in=ids, enabled=True, bounces__gt=0).update(
        bounces=0, last_bounce='', updated_at=clock.now()
    )
