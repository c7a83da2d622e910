"""Account emails (confirmation, reset, password changed), worded in services/texts.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.messaging import outbox
from services.texts import t

if TYPE_CHECKING:
    from models.cabinet import Cabinet

#: kind → how many body lines texts.py has for it (mail.{kind}.line1 …)
_LINES = {
    'confirm': 3,
    'reset': 3,
    'password_changed': 2,
    'link_attempts': 3,
    'email_change': 3,
    'email_change_requested': 3,
    'email_changed': 2,
    'phone_changed': 2,
    'ebill_confirm': 3,
    'ebill_moved': 2,
    'ebill_off': 2,
    'new_holder': 3,
}


async def send_notice(
    to: str, kind: str, *, link: str | None = None, sensitive: bool = False, **values: object
) -> None:
    context: dict[str, object] = {
        'title': t(f'mail.{kind}.title'),
        'lines': [t(f'mail.{kind}.line{number}', **values) for number in range(1, _LINES[kind] + 1)],
    }
    if link:
        context |= {'action_url': link, 'action_label': t(f'mail.{kind}.action')}
    await outbox.send_email(to, t(f'mail.{kind}.subject'), 'notice', context, sensitive=sensitive)


async def notify_owner(cabinet: Cabinet, kind: str, **values: object) -> None:
    """A notice about the cabinet to its own address, only once that address is proven: one typed at registration and
    never confirmed may be a stranger's, who must get no mail about the cabinet (and could be flooded with it)."""
    if cabinet.email and cabinet.email_confirmed_at:
        await send_notice(cabinet.email, kind, login=cabinet.login, **values)
