"""Linking personal accounts to a cabinet (docs/product.md, flow 4): proof by a payment sum or the address on the bill.

The payment sum is a weak secret, so proof MISMATCHES are counted (services/identity/ratelimit.py rules
LINK_FAILURES_*) and lock further attempts for 24 h. Every attempt of one cabinet and of one account runs inside a
transaction that first locks the cabinet's and the account's rows (PostgreSQL `FOR UPDATE`; SQLite serialises
transactions anyway), so parallel guesses cannot overrun a limit and a double click cannot create two links.
"""

from __future__ import annotations

import calendar
import hmac
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.billing import Account, Payment
from models.cabinet import Cabinet, CabinetState, Link
from services import clock, config, limits
from services.accounts import holders, quota
from services.errors import InvalidInput, NotAllowed, PortalError, TooManyAttempts
from services.identity import audit, ratelimit
from services.identity.contacts import fold_text
from services.messaging.notices import send_notice
from services.texts import format_datetime, in_language, t

#: any non-zero payment of the last 6 months proves the account (docs/product.md, flow 4)
PAYMENT_MONTHS = 6
PAYMENT = 'payment'
ADDRESS = 'address'

#: «₽», «руб.», «руб», «р.» ending the sum, as people copy it from a bank receipt. No `\s*` in front: searched from
#: every start of a long run of spaces, that cost the square of the run's length (the spaces go by `rstrip`)
_CURRENCY = re.compile(r'(?:₽|руб\.?|р\.)\Z', re.IGNORECASE)
#: currency words anywhere: «102 руб. 50 коп.» is a sum in a wrong format, not an address
_CURRENCY_WORDS = re.compile(r'₽|руб\.?|коп\.?|р\.', re.IGNORECASE)
#: rubles with optional thousand groups split by a space, NBSP or narrow NBSP; [0-9], not \d (other scripts' digits)
_SUM = re.compile(
    r'(?P<minus>[-−–])?\s*(?P<rubles>[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,](?P<kopecks>[0-9]*))?'
)
_SUM_CHARACTERS = frozenset('.,+-−–')
#: DecimalField(max_digits=12, decimal_places=2): no payment has more rubles digits than this
_RUBLES_DIGITS = 10


def parse_payment_sum(text: str) -> Decimal | None:
    """The payment sum the customer typed, or None when the text is not sum-shaped (then it is an address).

    Sum-shaped: only digits, spaces, «.,+-» and fewer letters than digits («10a.00», «1O2.00» are sums with a typo,
    «д. 1» or «305000, г. Курск» are addresses). Kopecks are mandatory and exactly two digits: «102,5» is refused
    like «102», since a customer who copies a receipt always sees two."""
    value = _without_currency(text.strip())
    compact = ''.join(_CURRENCY_WORDS.sub('', value).split())
    digits = sum(char.isdigit() for char in compact)
    letters = sum(char.isalpha() for char in compact)
    if not digits or letters >= digits or any(not char.isalnum() and char not in _SUM_CHARACTERS for char in compact):
        return None
    match = _SUM.fullmatch(value)
    if not match:
        raise InvalidInput({'proof': t('linking.error.sum_format')})
    rubles, kopecks = ''.join(match['rubles'].split()), match['kopecks'] or ''
    if len(rubles.lstrip('0')) > _RUBLES_DIGITS or len(kopecks) > 2:
        raise InvalidInput({'proof': t('linking.error.sum_format')})
    amount = Decimal(f'{rubles}.{kopecks or 0}')
    if match['minus'] or not amount:
        raise InvalidInput({'proof': t('linking.error.sum_positive')})
    if len(kopecks) != 2:
        raise InvalidInput({'proof': t('linking.error.sum_kopecks')})
    return amount


def _without_currency(value: str) -> str:
    """`value` without one currency sign or word at its end and the spaces before it."""
    match = _CURRENCY.search(value)
    return value[: match.start()].rstrip() if match else value


def _months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, clamped to the month's end (31 Aug → 28/29 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _window_start() -> date:
    """The first payment day that still counts: today in Moscow minus 6 calendar months, that day included.

    Today 20.11.2026 → payments from 20.05.2026; today 31.08.2026 → from 28.02.2026. Payments dated after today
    (the billing system posted them ahead) count too: the billing system is the source of truth."""
    return _months_before(clock.today(), PAYMENT_MONTHS)


async def proof_matches(account: Account, proof: str) -> bool:
    """The pure check (no limits, no audit): a non-zero payment in the window with exactly this sum, or the address.

    One query on the (account_id, date) index for a sum; input sums are > 0, so zero payments never match."""
    amount = parse_payment_sum(proof)
    if amount is None:
        # the address is a secret too: compare in constant time
        return hmac.compare_digest(fold_text(account.address).encode(), fold_text(proof).encode())
    return await Payment.filter(account_id=account.id, date__gte=_window_start(), amount=amount).exists()


async def linked_accounts(cabinet_id: int) -> list[Account]:
    """The cabinet's accounts, region prefetched, in the order they were linked."""
    links = await Link.filter(cabinet_id=cabinet_id).order_by('linked_at', 'id').select_related('account__region')
    return [link.account for link in links]


def _rules(cabinet_id: int, account: Account) -> list[tuple[ratelimit.Rule, str]]:
    return [
        (ratelimit.LINK_FAILURES_PER_PAIR, f'{cabinet_id}:{account.number}'),
        (ratelimit.LINK_FAILURES_PER_ACCOUNT, account.number),
        (ratelimit.LINK_FAILURES_PER_CABINET, str(cabinet_id)),
    ]


async def _locked_until(rule: ratelimit.Rule, subject: str) -> datetime | None:
    """A limit's lock ends one window after the failure that reached it: `limit` failures within one window.

    No failure is counted while its lock holds, so the latest `limit` failures tell whether one is on."""
    times = await ratelimit.recent(rule, subject, rule.limit)
    if len(times) < rule.limit or times[-1] - times[0] >= rule.window:
        return None
    until = times[-1] + rule.window
    return until if until > clock.now() else None


async def _lock(rules: list[tuple[ratelimit.Rule, str]]) -> tuple[datetime | None, list[str]]:
    """The latest end of the locks on, and which scopes hold them."""
    ends = {rule.scope: until for rule, subject in rules if (until := await _locked_until(rule, subject))}
    return max(ends.values(), default=None), sorted(ends)


def _moscow_time(moment: datetime) -> str:
    # rounded up to the minute, so «после 14:05» is never a moment too early
    local = clock.local(moment)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return format_datetime(local)


async def _notify_holders(account: Account, attempts: int, until: datetime) -> int:
    """The per-account lock tripped: tell the cabinets already holding the account (once per lock)."""
    # each holder in their cabinet's language: the attempts are someone else's, in whatever language they use
    languages = dict(
        await Cabinet.filter(
            links__account_id=account.id, state=CabinetState.ACTIVE, email_confirmed_at__isnull=False
        ).values_list('email', 'language')
    )
    for email in sorted(languages):
        with in_language(languages[email]):
            await send_notice(
                email, 'link_attempts', number=account.number, attempts=attempts, until=_moscow_time(until)
            )
    return len(languages)


async def _attempt(cabinet_id: int, number: str, proof: str, kind: str, ip: str | None) -> Account | PortalError:
    """One attempt inside the caller's transaction; a refusal is returned, so what it counted is committed."""
    cabinet = await Cabinet.select_for_update().get(id=cabinet_id)
    account = await Account.select_for_update().get_or_none(number=number)
    who = {'cabinet_id': cabinet_id, 'ip': ip, 'account': number, 'proof': kind}
    if account is None:
        await audit.record('link_refused', outcome='unknown_account', **who)
        return InvalidInput({'account': t('linking.error.account_unknown')})
    if await Link.exists(cabinet_id=cabinet_id, account_id=account.id):
        await audit.record('link_refused', outcome='already_linked', **who)
        return InvalidInput({'account': t('linking.error.already_linked')})
    rules = _rules(cabinet_id, account)
    until, scopes = await _lock(rules)
    if until:
        await audit.record('link_limited', outcome='locked', locks=scopes, until=until.isoformat(), **who)
        return TooManyAttempts(t('linking.error.locked', until=_moscow_time(until)), 'proof')
    if cabinet.email and not await quota.email_can_take(cabinet.email, account.id):
        await audit.record('link_refused', outcome='email_quota', **who)
        return InvalidInput({'account': t('linking.error.email_quota', limit=config.settings.accounts_per_email)})
    if not await proof_matches(account, proof):
        for rule, subject in rules:
            await ratelimit.record(rule, subject)
        until, scopes = await _lock(rules)
        notified = 0
        if ratelimit.LINK_FAILURES_PER_ACCOUNT.scope in scopes:
            # reached just now: no failure is counted while the lock holds
            notified = await _notify_holders(account, ratelimit.LINK_FAILURES_PER_ACCOUNT.limit, until)
        until_text = until and until.isoformat()
        await audit.record('link_failure', outcome='mismatch', locks=scopes, notified=notified, until=until_text, **who)
        if until:
            return TooManyAttempts(t('linking.error.locked', until=_moscow_time(until)), 'proof')
        return InvalidInput({'proof': t('linking.error.mismatch')})
    await Link.create(cabinet_id=cabinet_id, account=account, proof=kind, linked_at=clock.now())
    await audit.record('link_success', outcome='linked', **who)
    await holders.tell_holders(account, cabinet, via=kind)
    return account


async def link_account(cabinet: Cabinet, number: str, proof: str, *, ip: str | None) -> Account:
    """«Добавить»: link the account if the proof (a payment sum or the address) matches it. Field names of the
    errors: 'account' and 'proof'. Only proof mismatches count towards the attempt limits."""
    limits.check_text(account=(number, limits.ACCOUNT), proof=(proof, limits.PROOF))
    number, errors = number.strip(), {}
    if not number:
        errors['account'] = t('error.required')
    kind = ADDRESS
    if not proof.strip():
        errors['proof'] = t('error.required')
    else:
        try:
            kind = PAYMENT if parse_payment_sum(proof) is not None else ADDRESS
        except InvalidInput as error:
            errors |= error.errors
    if errors:
        await audit.record('link_refused', cabinet_id=cabinet.id, ip=ip, account=number, outcome='invalid_input')
        raise InvalidInput(errors)
    try:
        async with in_transaction():
            outcome = await _attempt(cabinet.id, number, proof, kind, ip)
    except IntegrityError:
        # the row locks serialise attempts; only a writer outside them (another process on one SQLite file) gets here
        await audit.record('link_refused', cabinet_id=cabinet.id, ip=ip, account=number, outcome='already_linked')
        outcome = InvalidInput({'account': t('linking.error.already_linked')})
    if isinstance(outcome, PortalError):
        raise outcome
    return outcome


async def unlink_account(cabinet: Cabinet, number: str, *, ip: str | None) -> None:
    """Settings: remove the link. A first-entry cabinet's own account (its login) stays."""
    limits.check_text(account=(number, limits.ACCOUNT))
    number = number.strip()
    if not number:
        raise InvalidInput({'account': t('error.required')})
    if number == cabinet.login:
        raise NotAllowed(t('linking.error.own_account'))
    account = await Account.get_or_none(number=number)
    if account is None or not await Link.filter(cabinet_id=cabinet.id, account_id=account.id).delete():
        raise InvalidInput({'account': t('linking.error.not_linked')})
    await audit.record('unlink', cabinet_id=cabinet.id, ip=ip, account=number)
