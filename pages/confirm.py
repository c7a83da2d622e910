"""The page behind the registration email's link: its button confirms the address and activates the cabinet."""

from __future__ import annotations

from pages.session import client_ip
from pages.shell.link_page import link_button_page
from services.identity import registration, tokens
from services.texts import t


async def confirm_page(token: str = '') -> None:
    async def use() -> str | None:
        return t('done.confirmed') if await registration.confirm_email(token, ip=client_ip()) else None

    await link_button_page(
        t('title.confirm'),
        tokens.CONFIRM_EMAIL,
        token,
        button_label=t('button.confirm_email'),
        invalid=t('error.link_invalid'),
        use=use,
        signed_out=True,
    )
