"""E-bill (docs/product.md, flow 6): «Подключение получения квитанции на электронную почту», per personal account:
the subscription's state on the settings page, saving it, and confirming its address.

Bills go only to a proven address: the cabinet's confirmed email (or an address the same cabinet already proved for
another account) is proof at once; any other address is proved by the single-use link mailed to it. What each bill
email's outcome does to the subscription (bounces, 3 in a row turn it off) is bounces.py's.

Co-holders (several cabinets holding one account) share its one subscription. The cabinet that turned it on
manages it: it alone sees the whole address and the receiving server's reply, changes the address and turns it off.
Another holder sees the state, the address masked and a bounce warning without the reply; it may turn on a
subscription that is off (and then manages it), and take over one that is on only to an address it has proven (the
old address is told, as for any move) — never stop or redirect the other's bills to an address nobody proved.

Saves of one account are serialised by a lock on its row; saves that put an address on several accounts are
serialised per address (PostgreSQL advisory lock; SQLite serialises transactions anyway), so parallel saves cannot
overrun the 10-accounts-per-address quota.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.billing import Account
from models.cabinet import Cabinet, Consent
from models.ebill import EBill
from services import clock, config, limits
from services.accounts.linking import linked_accounts
from services.db import lock_until_commit
from services.errors import InvalidInput, NotAllowed, PortalError, TooManyAttempts
from services.identity import audit, ratelimit, tokens
from services.identity.contacts import mask_email, normalize_email
from services.messaging.notices import send_notice
from services.texts import in_language, t

EBILL_CONSENT_VERSION = '2026-11'
CONSENT_KIND = 'ebill'


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
    #: the SMTP reply as the recipient's server wrote it (its own language, usually English): for support;
    #: empty for a co-holder (it names the other cabinet's address)
    last_bounce: str
    #: on, and managed by another cabinet holding the account: `email` is masked
    managed_elsewhere: bool = False

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


@dataclass
class _Refused:
    """A save refused inside the transaction: what the customer reads, and the audit's word for it."""

    error: PortalError
    outcome: str


def _state(account: Account, ebill: EBill | None, cabinet: Cabinet) -> EBillState:
    if ebill is None or (ebill.cabinet_id != cabinet.id and not ebill.enabled):
        # nobody's subscription, or one another holder turned off: this cabinet starts afresh from its own email
        return EBillState(account, False, cabinet.email or '', False, False, '')
    pending = ebill.enabled and ebill.email_confirmed_at is None
    if ebill.cabinet_id != cabinet.id:
        return EBillState(account, True, mask_email(ebill.email), pending, ebill.bounces > 0, '', True)
    return EBillState(account, ebill.enabled, ebill.email, pending, ebill.bounces > 0, ebill.last_bounce)


async def ebill_states(cabinet: Cabinet) -> list[EBillState]:
    """One state per linked account, in linking order."""
    accounts = await linked_accounts(cabinet.id)
    ebills = {ebill.account_id: ebill for ebill in await EBill.filter(account_id__in=[a.id for a in accounts])}
    return [_state(account, ebills.get(account.id), cabinet) for account in accounts]


async def _proven(cabinet: Cabinet, email: str) -> bool:
    """The cabinet's confirmed email, or an address this cabinet proved for another live subscription."""
    if cabinet.email_confirmed_at and (cabinet.email or '').lower() == email:
        return True
    return await EBill.exists(cabinet_id=cabinet.id, email=email, enabled=True, email_confirmed_at__isnull=False)


async def _turn_on(
    connection: BaseDBAsyncClient, cabinet: Cabinet, account: Account, ebill: EBill | None, email: str, ip: str | None
) -> EBill | _Refused:
    """On, or a new address for a subscription that is on; refusals are returned (the caller audits them)."""
    turning_on = ebill is None or not ebill.enabled
    taking_over = not turning_on and ebill.cabinet_id != cabinet.id
    taken_from = ebill.cabinet_id if taking_over else None
    if not turning_on and email == (mask_email(ebill.email).lower() if taking_over else ebill.email):
        return ebill  # the field as the page showed it: nothing changed
    # counting rows cannot lock the rows a parallel save is about to add: lock the address itself until commit
    await lock_until_commit(connection, email)
    limit = config.settings.accounts_per_email
    if await EBill.filter(email=email, enabled=True).exclude(account_id=account.id).count() >= limit:
        return _Refused(InvalidInput({'email': t('error.email_quota', limit=limit)}), 'email_quota')
    now = clock.now()
    proven = await _proven(cabinet, email)
    if taking_over and not proven:
        # until a link were followed no bill would go anywhere: the other holder's delivery is not stopped that way
        return _Refused(InvalidInput({'email': t('ebill.error.takeover_unproven')}), 'takeover_unproven')
    limits = ratelimit.unproven_mail(cabinet.id, email)
    if not proven:
        # the link goes to an address nobody proved: a cap per cabinet and per address, counted before anything is
        # written or queued (the address lock above serialises saves to it; this one a cabinet's saves)
        await lock_until_commit(connection, f'unproven-mail:{cabinet.id}')
        if await ratelimit.any_exceeded(limits):
            return _Refused(TooManyAttempts(t('error.unproven_mail_limit'), 'email'), 'mail_limit')
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
    if taken_from:
        who['taken_from'] = taken_from
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
        await ratelimit.record_all(limits)
        raw = await tokens.issue(tokens.CONFIRM_EBILL, cabinet.id, email)
        link = tokens.url(tokens.CONFIRM_EBILL, raw)
        await send_notice(email, 'ebill_confirm', link=link, sensitive=True, number=account.number)
    if moved_from:
        await send_notice(moved_from, 'ebill_moved', number=account.number, email=mask_email(email))
    return ebill


async def _turn_off(cabinet: Cabinet, account: Account, ebill: EBill | None, ip: str | None) -> EBill | _Refused | None:
    if ebill is None or not ebill.enabled:
        return ebill
    if ebill.cabinet_id != cabinet.id:
        return _Refused(NotAllowed(t('ebill.error.not_yours')), 'managed_elsewhere')
    await _switch_off(ebill, account)
    await audit.record(
        'ebill_off',
        cabinet_id=cabinet.id,
        login=cabinet.login,
        ip=ip,
        account=account.number,
        email=mask_email(ebill.email),
    )
    return ebill


async def _switch_off(ebill: EBill, account: Account) -> None:
    ebill.enabled, ebill.updated_at = False, clock.now()
    await ebill.save(update_fields=['enabled', 'updated_at'])
    if ebill.email_confirmed_at:
        # bills went to this address, proven when they started; an address never confirmed got none and hears nothing
        await send_notice(ebill.email, 'ebill_off', number=account.number)


async def switch_off_managed(cabinet: Cabinet, account: Account) -> EBill | None:
    """The console's «turn off» (services/staff): the subscription of `account` that `cabinet` manages goes off as
    when the customer turns it off, its proven address told in the cabinet's language. Inside the caller's
    transaction; the caller audits. None when the cabinet manages no subscription of the account that is on."""
    await Account.select_for_update().get(id=account.id)
    ebill = await EBill.get_or_none(account_id=account.id, cabinet_id=cabinet.id, enabled=True)
    if ebill is not None:
        with in_language(cabinet.language):
            await _switch_off(ebill, account)
    return ebill


async def save_ebill(cabinet: Cabinet, number: str, enabled: bool, email: str, *, ip: str | None) -> EBillState:
    """«Сохранить» of one account's block. Errors at the field 'email'; NotAllowed for an account not linked here.

    Off ignores the typed address (one click, whatever is in the field); nothing changed sends nothing."""
    limits.check_text(account=(number, limits.ACCOUNT), email=(email if enabled else None, limits.EMAIL))
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
    if isinstance(outcome, _Refused):
        await audit.record(
            'ebill_refused', cabinet_id=cabinet.id, login=cabinet.login, ip=ip, account=number, outcome=outcome.outcome
        )
        raise outcome.error
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
