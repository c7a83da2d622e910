"""«Добавить лицевой счёт»: linking one more personal account to the cabinet (docs/product.md, flow 4)."""

from __future__ import annotations

from pages.session import signed_in_page
from pages.shell.frame import frame
from pages.widgets import link_form
from services.texts import t


async def add_account_page() -> None:
    signed = await signed_in_page()
    if signed is None:
        return
    with frame(t('title.add_account'), *signed):
        link_form()
