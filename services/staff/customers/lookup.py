"""What the console's customer services share: the cabinet a staff member acts on, which audit rows and addresses are
its, and contacts as their role shows them (a viewer reads masked contacts; an operator, who acts on them, whole)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tortoise.expressions import Q

from models.cabinet import Cabinet
from models.ebill import BillDelivery, EBill
from models.security import LinkToken, OneTimeCode
from models.staff import StaffRole
from services import limits
from services.errors import NotAllowed
from services.identity.contacts import mask_email, mask_phone
from services.staff import roles
from services.staff.inputs import INT_MAX
from services.texts import t

if TYPE_CHECKING:
    from models.staff import Staff

#: the longest reason a staff member gives for an action (unlink, erasure): what the audit log keeps whole
REASON = limits.SHOWN


class CabinetGone(NotAllowed):
    """The cabinet asked for is not there: never was (a crafted id), or erased since the page was built."""


def _valid_id(cabinet_id: object) -> bool:
    # a crafted id (text, a bool, past the column) is «not found», never a database error
    return isinstance(cabinet_id, int) and not isinstance(cabinet_id, bool) and 0 < cabinet_id <= INT_MAX


async def cabinet_of(cabinet_id: object, *, for_update: bool = False) -> Cabinet:
    """The cabinet by id, locked until the caller's transaction ends when `for_update`; CabinetGone otherwise."""
    query = Cabinet.select_for_update() if for_update else Cabinet
    cabinet = await query.get_or_none(id=cabinet_id) if _valid_id(cabinet_id) else None
    if cabinet is None:
        raise CabinetGone(t('staff.customers.error.not_found'))
    return cabinet


def about(cabinet: Cabinet) -> Q:
    """The audit rows about a cabinet: its own, and those of its login typed before any cabinet was known (a
    locked-out attempt names the login only)."""
    return Q(cabinet_id=cabinet.id) | Q(cabinet_id=None, login__in=sorted({cabinet.login, cabinet.login_key}))


async def addresses(cabinet: Cabinet) -> set[str]:
    """Every email address and phone the cabinet has used that the database still names: its own, its e-bills' and
    their deliveries', those its links and codes went to (an email or phone change): where its messages went."""
    found = {cabinet.email, cabinet.phone}
    found |= set(await EBill.filter(cabinet_id=cabinet.id).values_list('email', flat=True))
    found |= set(await BillDelivery.filter(ebill__cabinet_id=cabinet.id).values_list('email', flat=True))
    found |= set(await LinkToken.filter(cabinet_id=cabinet.id).values_list('email', flat=True))
    found |= set(await OneTimeCode.filter(cabinet_id=cabinet.id).values_list('phone', flat=True))
    return {value for value in found if value}


def sees_contacts(staff: Staff) -> bool:
    """Whether this staff member reads contacts whole: operators and admins act on them, viewers only read."""
    return roles.allows(staff, StaffRole.OPERATOR)


def shown(staff: Staff, value: str | None, mask: Callable[[str], str]) -> str | None:
    """A contact as the staff member may read it."""
    if value is None or sees_contacts(staff):
        return value
    return mask(value)


def shown_email(staff: Staff, email: str | None) -> str | None:
    return shown(staff, email, mask_email)


def shown_phone(staff: Staff, phone: str | None) -> str | None:
    return shown(staff, phone, mask_phone)
