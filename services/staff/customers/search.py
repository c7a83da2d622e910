"""Find a customer (issue 14, item 3): one search box for a login, an email, a phone, a personal account number or a
holder's surname, optionally within a region; a page of cabinets at a time with the total. Any role may search.

The query is checked for length first (a 1 MB query is refused at the field, not turned into a 1 MB LIKE), then
read every way at once: login, email and account number as typed prefixes (Tortoise escapes `%` and `_`), the phone
normalised to E.164, the surname matched whole, folded as the portal folds surnames (case, ё/е)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.expressions import Q, Subquery

from models.billing import Account, Region
from models.cabinet import Cabinet, Link
from models.staff import StaffRole
from services import limits
from services.errors import InvalidInput
from services.identity.contacts import login_key, normalize_phone, surname_spellings
from services.staff import roles
from services.staff.customers.lookup import sees_contacts, shown_email, shown_phone
from services.staff.inputs import whole_number
from services.texts import t

if TYPE_CHECKING:
    from models.staff import Staff

PAGE_SIZE = 20
#: the longest key one searches by is an email address
QUERY = limits.EMAIL
#: region codes as the billing import stores them
REGION = 32
#: account numbers shown per cabinet in a result row
ACCOUNTS_SHOWN = 10


@dataclass(frozen=True)
class RegionChoice:
    code: str
    name: str


@dataclass(frozen=True)
class CustomerHit:
    """One cabinet found: enough to tell callers apart before opening it."""

    cabinet_id: int
    login: str
    #: active, pending or locked
    state: str
    #: masked for viewers
    email: str | None
    phone: str | None
    surname: str | None
    #: the linked personal accounts' numbers, at most `ACCOUNTS_SHOWN`, in linking order
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[CustomerHit, ...]
    #: cabinets found in all
    total: int
    #: this page's number (1-based, within 1..pages) and how many there are
    page: int
    pages: int


async def regions(staff: Staff) -> list[RegionChoice]:
    """The regions billing knows, for the search's region choice."""
    roles.require(staff, StaffRole.VIEWER, 'list regions')
    rows = await Region.all().order_by('name').values_list('code', 'name')
    return [RegionChoice(code, name) for code, name in rows]


def _phone(query: str) -> str | None:
    if not any(char.isdigit() for char in query):
        return None
    try:
        return normalize_phone(query)
    except ValueError:
        return None


def _matching(query: str, region: str | None, *, whole_contacts: bool) -> Q:
    """Cabinets any reading of the query finds: by their own columns, or by a linked account's number or holder;
    with a region, only through an account there. Subqueries, not joins: each table is read once, no duplicates.
    Without `whole_contacts` (a viewer, who reads contacts masked) an email is found only whole: by its start, a
    viewer could rebuild a masked address a letter at a time."""
    spellings = surname_spellings(query)
    email = Q(email__startswith=query.lower()) if whole_contacts else Q(email=query.lower())
    own = Q(login_key__startswith=login_key(query)) | email | Q(surname__in=spellings)
    if phone := _phone(query):
        own |= Q(phone=phone)
    accounts = Account.filter(Q(number__startswith=query) | Q(surname__in=spellings))
    if region:
        accounts = accounts.filter(region__code=region)
        own &= Q(id__in=Subquery(Link.filter(account__region__code=region).values('cabinet_id')))
    holders = Link.filter(account_id__in=Subquery(accounts.values('id')))
    return own | Q(id__in=Subquery(holders.values('cabinet_id')))


async def search(staff: Staff, query: str, *, region: str | None = None, page: int | str = 1) -> SearchPage:
    """Cabinets whose login, email or linked account number starts with `query`, whose phone is it, or whose
    surname (their own or a linked account holder's) it is; with `region` (a code), only cabinets holding an account
    there. Ordered by login; a page past the last is the last. Errors at the fields 'query', 'region' and 'page'."""
    roles.require(staff, StaffRole.VIEWER, 'search customers')
    limits.check_text(query=(query, QUERY), region=(region, REGION))
    query = ' '.join((query or '').split())
    if not query:
        raise InvalidInput({'query': t('error.required')})
    if region and not await Region.exists(code=region):
        raise InvalidInput({'region': t('staff.customers.error.region_unknown')})
    cabinets = Cabinet.filter(_matching(query, region, whole_contacts=sees_contacts(staff)))
    total = await cabinets.count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(whole_number('page', page), pages)
    rows = await cabinets.order_by('login_key', 'id').offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    accounts = await _accounts([cabinet.id for cabinet in rows])
    hits = tuple(
        CustomerHit(
            cabinet_id=cabinet.id,
            login=cabinet.login,
            state=str(cabinet.state),
            email=shown_email(staff, cabinet.email),
            phone=shown_phone(staff, cabinet.phone),
            surname=cabinet.surname,
            accounts=tuple(accounts.get(cabinet.id, ())[:ACCOUNTS_SHOWN]),
        )
        for cabinet in rows
    )
    return SearchPage(hits, total, number, pages)


async def _accounts(cabinet_ids: list[int]) -> dict[int, list[str]]:
    numbers: dict[int, list[str]] = {}
    links = Link.filter(cabinet_id__in=cabinet_ids).order_by('linked_at', 'id')
    for cabinet_id, number in await links.values_list('cabinet_id', 'account__number'):
        numbers.setdefault(cabinet_id, []).append(number)
    return numbers
