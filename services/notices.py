"""Account emails (confirmation, reset, password changed), worded in services/texts.py."""

from __future__ import annotations

from services import outbox
from services.texts import t

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
