"""Personal accounts as seen from cabinets: links and the per-email quota."""

from __future__ import annotations

from models.cabinet import Link
from services import config


async def accounts_on_email(email: str) -> int:
    """How many distinct personal accounts the cabinets with this email hold (seed 004: at most 10)."""
    ids = await Link.filter(cabinet__email=email.lower()).values_list('account_id', flat=True)
    return len(set(ids))


async def email_quota_left(email: str) -> int:
    return config.settings.accounts_per_email - await accounts_on_email(email)
