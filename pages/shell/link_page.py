"""The page behind an emailed link, in the frame: opening the link shows a button; only the button uses the token up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from pages.shell.frame import frame
from pages.shell.support import support_contact
from pages.widgets import Form, success
from services.errors import AuthenticationFailed
from services.identity import tokens
from services.texts import t


async def link_button_page(
    title: str,
    purpose: str,
    token: str,
    *,
    button_label: str,
    invalid: str,
    use: Callable[[], Awaitable[str | None]],
    signed_out: bool = False,
) -> None:
    """`use` returns the success text, or None when the link died meanwhile. `signed_out`: the reader is not logged
    in yet, so both outcomes point to the login."""
    with frame(title) as body:
        if await tokens.peek(purpose, token) is None:
            ui.label(invalid).classes('text-negative').props('role=alert')
            if signed_out:
                ui.link(t('link.to_login'), '/login')
            support_contact(t('support.link'))
            return
        form = Form()
        button = ui.button(button_label).props('color=primary')

        async def confirm() -> None:
            done = await use()
            if done is None:
                raise AuthenticationFailed(invalid)
            success(body, done, link_to_login=signed_out)

        button.on_click(lambda: form.submit(button, confirm))
        support_contact(t('support.link'))
