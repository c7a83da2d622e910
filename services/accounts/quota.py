"""Personal accounts as seen from cabinets: links and the per-email quota."""

from __future__ import annotations

from models.cabinet import Link
from services import config


async def _account_ids_on_email(email: str) -> set[int]:
    return set(await Link.filter(cabinet__email=email.lower()).values_list('account_id', flat=True))


async def accounts_on_email(email: str) -> int:
    """How many distinct personal accounts the cabinets with this email hold (at most PORTAL_ACCOUNTS_PER_EMAIL)."""
    return len(await _account_ids_on_email(email))


async def email_quota_left(email: str) -> int:
    return config.settings.accounts_per_email - await accounts_on_email(email)


async def email_can_take(email: str, account_id: int) -> bool:
    """Whether the email stays within its quota with this account linked too (one it already serves is free)."""
    return len(await _account_ids_on_email(email) | {account_id}) <= config.settings.accounts_per_email
