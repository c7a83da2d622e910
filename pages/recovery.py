"""A forgotten password: «Забыли пароль?» (a code by SMS or a link by email) and the page behind the emailed link."""

from __future__ import annotations

from nicegui import ui

from pages.session import client_ip
from pages.shell.frame import frame
from pages.shell.support import support_contact
from pages.widgets import Form, mail_sent, password_inputs, success
from services.identity import recovery
from services.texts import t


async def reset_page(token: str = '') -> None:
    with frame(t('title.reset')) as body:
        cabinet = await recovery.reset_cabinet_by_link(token)
        if cabinet is None:
            ui.label(t('error.link_invalid')).classes('text-negative').props('role=alert')
            ui.link(t('link.forgot'), '/forgot')
            support_contact(t('support.recovery'))
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
        support_contact(t('support.recovery'))


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
            sent.text = mail_sent(t('done.reset_requested'))
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
        # the help says: whose email changed since registering gets the password back through the contact centre
        support_contact(t('support.recovery'))
