"""Who may do what in the console: viewer reads, operator also helps customers, admin also manages staff and
imports. Checked by every service that acts, whatever the page showed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from models.staff import StaffRole
from services.errors import NotAllowed
from services.texts import t

if TYPE_CHECKING:
    from models.staff import Staff

log = logging.getLogger('portal.staff')

_RANK = {StaffRole.VIEWER: 0, StaffRole.OPERATOR: 1, StaffRole.ADMIN: 2}


class StaffForbidden(NotAllowed):
    """The staff member's role does not allow the action."""


def allows(staff: Staff, role: StaffRole) -> bool:
    """Whether `staff` holds `role` or one above it."""
    return _RANK[StaffRole(staff.role)] >= _RANK[role]


def require(staff: Staff, role: StaffRole, action: str) -> None:
    """Refuse `action` (a short name for the log) unless `staff` holds `role` or one above it."""
    if not allows(staff, role):
        log.warning('staff %s (%s) refused %s: needs %s', staff.login, staff.role, action, role)
        raise StaffForbidden(t('staff.error.forbidden'))
