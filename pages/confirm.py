"""Pages behind emailed links. Opening a link shows a button; only the button uses the token up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from pages.common import Form, client_ip
from pages.layout import frame
from pages.register import password_inputs, success
from services import recovery, registration, tokens
from services.errors import AuthenticationFailed
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
    """A page behind an emailed link: one button uses the token up; `use` returns the success text, or None when
    the link died meanwhile. `signed_out`: the reader is not logged in yet, so both outcomes point to the login."""
    with frame(title) as body:
        if await tokens.peek(purpose, token) is None:
            ui.label(invalid).classes('text-negative').props('role=alert')
            if signed_out:
                ui.link(t('link.to_login'), '/login')
            return
        form = Form()
        button = ui.button(button_label).props('color=primary')

        async def confirm() -> None:
            done = await use()
            if done is None:
                raise AuthenticationFailed(invalid)
            success(body, done, link_to_login=signed_out)

        button.on_click(lambda: form.submit(button, confirm))


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


async def reset_page(token: str = '') -> None:
    with frame(t('title.reset')) as body:
        cabinet = await recovery.reset_cabinet_by_link(token)
        if cabinet is None:
            ui.label(t('error.link_invalid')).classes('text-negative').props('role=alert')
            ui.link(t('link.forgot'), '/forgot')
            return
        ui.label(f'{t("label.login")}: {cabinet.login}')
        form = Form()
        password_inputs(form, t('label.new_password'))
        button = ui.button(t('button.set_password')).classes('w-full').props('color=primary')

        async def save() -> None:
            await recovery.reset_by_link(
                token, form.fields['password'].value, form.fields['password_confirm'].value, ip=client_ip()
            )
            success(body, t('done.password_changed'))

        button.on_click(lambda: form.submit(button, save))


def forgot_page() -> None:
    with frame(t('title.forgot')) as body:
        ui.label(t('hint.forgot')).classes('text-sm')
        form = Form()
        login = form.add('login', ui.input(t('label.login'))).props('autocomplete=username').classes('w-full')
        button = ui.button(t('button.reset')).classes('w-full').props('color=primary')
        sms_part = ui.column().classes('w-full gap-3')
        sms_part.set_visibility(False)
        state: dict = {}

        async def request() -> None:
            state['request'] = await recovery.request_reset(login.value, ip=client_ip())
            login.disable()
            button.set_visibility(False)
            sent.text = t('done.reset_requested')
            sms_part.set_visibility(True)

        button.on_click(lambda: form.submit(button, request))
        with sms_part:
            sent = ui.label().props('role=status')
            code = form.add('code', ui.input(t('label.code'))).props('inputmode=numeric autocomplete=one-time-code')
            code.classes('w-full')
            password_inputs(form, t('label.new_password'))
            save_button = ui.button(t('button.set_password')).classes('w-full')

        async def save() -> None:
            await recovery.reset_by_code(
                state.get('request'),
                code.value,
                form.fields['password'].value,
                form.fields['password_confirm'].value,
                ip=client_ip(),
            )
            success(body, t('done.password_changed'))

        save_button.on_click(lambda: form.submit(save_button, save))
        form.message.move(body)
