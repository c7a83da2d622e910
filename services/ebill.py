"""E-bill (flow 6, seed 004): «Подключение получения квитанции на электронную почту», per personal account.

Bills go only to a proven address: the cabinet's confirmed email (or an address the same cabinet already proved for
another account) is proof at once; any other address is proved by the single-use link mailed to it. The dispatch
reports each bill back: `record_bounce` on a permanent rejection, `record_delivery` on success; 3 permanent
rejections in a row turn the subscription off.

Saves of one account are serialised by a lock on its row; saves that put an address on several accounts are
serialised per address (PostgreSQL advisory lock; SQLite serialises transactions anyway), so parallel saves cannot
overrun the 10-accounts-per-address quota.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from models.billing import Account
from models.cabinet import Cabinet, Consent
from models.ebill import EBill
from services import audit, clock, config, outbox, tokens
from services.contacts import mask_email, normalize_email
from services.errors import InvalidInput, NotAllowed, PortalError
from services.linking import linked_accounts
from services.notices import send_notice
from services.texts import in_language, t

log = logging.getLogger(__name__)

EBILL_CONSENT_VERSION = '2026-11'
CONSENT_KIND = 'ebill'
#: consecutive permanent rejections of the address that turn e-bill off
BOUNCES_TO_OFF = 3


@dataclass
class EBillState:
    """One account's block on the settings page."""

    account: Account
    enabled: bool
    #: the subscription's address, else the cabinet's email, else '' (the empty white field)
    email: str
    #: on, but the address is not proved yet: no bill goes there until the link is followed
    pending_confirmation: bool
    #: the address rejected the latest bill(s) permanently: the page warns
    bouncing: bool
    #: the SMTP reply as the recipient's server wrote it (its own language, usually English): for support
    last_bounce: str

    @property
    def bounce_reason(self) -> str:
        """Why the address bounces, in the customer's language, from the reply's codes (RFC 3463)."""
        detail = re.search(r'\b5\.(\d{1,3})\.(\d{1,3})\b', self.last_bounce)
        subject, code = detail.groups() if detail else ('', '')
        if subject == '1':  # 5.1.x: bad destination mailbox or domain
            return t('ebill.bounce.no_user')
        if (subject, code) == ('2', '2'):
            return t('ebill.bounce.mailbox_full')
        return t('ebill.bounce.refused')

    @property
    def bounce_reply(self) -> str:
        """The server's own words from its reply code on, without our prefix («recipient refused: …»)."""
        reply = re.search(r'\b5\d\d\b.*', self.last_bounce)
        return reply.group(0) if reply else self.last_bounce


def _state(account: Account, ebill: EBill | None, cabinet: Cabinet) -> EBillState:
    if ebill is None:
        return EBillState(account, False, cabinet.email or '', False, False, '')
    pending = ebill.enabled and ebill.email_confirmed_at is None
    return EBillState(account, ebill.enabled, ebill.email, pending, ebill.bounces > 0, ebill.last_bounce)


async def ebill_states(cabinet: Cabinet) -> list[EBillState]:
    """One state per linked account, in linking order."""
    accounts = await linked_accounts(cabinet.id)
    ebills = {ebill.account_id: ebill for ebill in await EBill.filter(account_id__in=[a.id for a in accounts])}
    return [_state(account, ebills.get(account.id), cabinet) for account in accounts]


async def _lock_address(connection: BaseDBAsyncClient, email: str) -> None:
    # counting rows cannot lock the rows a parallel save is about to add: lock the address itself until commit
    if connection.capabilities.dialect == 'postgres':
        await connection.execute_query('SELECT pg_advisory_xact_lock(hashtext($1))', [email])


async def _proven(cabinet: Cabinet, email: str) -> bool:
    """The cabinet's confirmed email, or an address this cabinet proved for another live subscription."""
    if cabinet.email_confirmed_at and (cabinet.email or '').lower() == email:
        return True
    return await EBill.exists(cabinet_id=cabinet.id, email=email, enabled=True, email_confirmed_at__isnull=False)


async def _turn_on(
    connection: BaseDBAsyncClient, cabinet: Cabinet, account: Account, ebill: EBill | None, email: str, ip: str | None
) -> EBill | PortalError:
    """On, or a new address for a subscription that is on; refusals are returned (the caller audits them)."""
    turning_on = ebill is None or not ebill.enabled
    if not turning_on and ebill.email == email:
        return ebill
    await _lock_address(connection, email)
    limit = config.settings.accounts_per_email
    if await EBill.filter(email=email, enabled=True).exclude(account_id=account.id).count() >= limit:
        return InvalidInput({'email': t('error.email_quota', limit=limit)})
    now = clock.now()
    proven = await _proven(cabinet, email)
    # bills already went to the old address: tell it they stop
    moved_from = ebill.email if ebill and ebill.enabled and ebill.email_confirmed_at else None
    if ebill is None:
        ebill = EBill(account=account)
    if turning_on or ebill.email != email:
        # the count is about one run at one address
        ebill.bounces, ebill.last_bounce = 0, ''
    ebill.cabinet_id, ebill.email, ebill.enabled, ebill.updated_at = cabinet.id, email, True, now
    ebill.email_confirmed_at = now if proven else None
    who = {'cabinet_id': cabinet.id, 'login': cabinet.login, 'ip': ip, 'account': account.number}
    if turning_on:
        ebill.consent_version, ebill.consent_at, ebill.consent_ip = EBILL_CONSENT_VERSION, now, ip
        await Consent.create(
            cabinet=cabinet, kind=CONSENT_KIND, text_version=EBILL_CONSENT_VERSION, given_at=now, ip=ip
        )
        await audit.record(
            'ebill_consent', version=EBILL_CONSENT_VERSION, email=mask_email(email), confirmed=proven, **who
        )
    else:
        await audit.record('ebill_address', email=mask_email(email), confirmed=proven, **who)
    await ebill.save()
    if not proven:
        raw = await tokens.issue(tokens.CONFIRM_EBILL, cabinet.id, email)
        link = tokens.url(tokens.CONFIRM_EBILL, raw)
        await send_notice(email, 'ebill_confirm', link=link, sensitive=True, number=account.number)
    if moved_from:
        await send_notice(moved_from, 'ebill_moved', number=account.number, email=mask_email(email))
    return ebill


async def _turn_off(cabinet: Cabinet, account: Account, ebill: EBill | None, ip: str | None) -> EBill | None:
    if ebill is None or not ebill.enabled:
        return ebill
    ebill.enabled, ebill.cabinet_id, ebill.updated_at = False, cabinet.id, clock.now()
    await ebill.save(update_fields=['enabled', 'cabinet_id', 'updated_at'])
    await send_notice(ebill.email, 'ebill_off', number=account.number)
    await audit.record(
        'ebill_off',
        cabinet_id=cabinet.id,
        login=cabinet.login,
        ip=ip,
        account=account.number,
        email=mask_email(ebill.email),
    )
    return ebill


async def save_ebill(cabinet: Cabinet, number: str, enabled: bool, email: str, *, ip: str | None) -> EBillState:
    """«Сохранить» of one account's block. Errors at the field 'email'; NotAllowed for an account not linked here.

    Off ignores the typed address (one click, whatever is in the field); nothing changed sends nothing."""
    number = number.strip()
    account = await Account.filter(number=number, links__cabinet_id=cabinet.id).select_related('region').first()
    if account is None:
        await audit.record(
            'ebill_refused', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, account=number, outcome='not_linked'
        )
        raise NotAllowed(t('linking.error.not_linked'))
    address = ''
    if enabled:
        try:
            address = normalize_email(email)
        except ValueError as error:
            raise InvalidInput({'email': str(error)}) from error
    async with in_transaction() as connection:
        await Account.select_for_update().get(id=account.id)
        # the cabinet as stored now: its email may have been changed or confirmed in another tab
        fresh = await Cabinet.get(id=cabinet.id)
        ebill = await EBill.get_or_none(account_id=account.id)
        if enabled:
            outcome = await _turn_on(connection, fresh, account, ebill, address, ip)
        else:
            outcome = await _turn_off(fresh, account, ebill, ip)
    if isinstance(outcome, PortalError):
        await audit.record(
            'ebill_refused', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, account=number, outcome='email_quota'
        )
        raise outcome
    return _state(account, outcome, fresh)


async def confirm_ebill(raw_token: str, *, ip: str | None) -> Account | None:
    """The button on the link's page: the address is proved for this cabinet's subscriptions that are on and still
    have it (one link serves all its accounts waiting on that address). None when the link is dead or stale."""
    token = await tokens.consume(tokens.CONFIRM_EBILL, raw_token)
    if token is None:
        await audit.record('ebill_confirm_failure', ip=ip, outcome='dead_link')
        return None
    waiting = EBill.filter(cabinet_id=token.cabinet_id, email=token.email, enabled=True)
    await waiting.filter(email_confirmed_at=None).update(email_confirmed_at=clock.now())
    ebill = await waiting.order_by('id').select_related('account__region').first()
    if ebill is None:
        await audit.record('ebill_confirm_failure', cabinet_id=token.cabinet_id, ip=ip, outcome='stale_link')
        return None
    await audit.record(
        'ebill_confirmed',
        cabinet_id=token.cabinet_id,
        ip=ip,
        account=ebill.account.number,
        email=mask_email(token.email),
    )
    return ebill.account


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
