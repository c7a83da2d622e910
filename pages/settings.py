"""«Настройки»: linked personal accounts, and the profile (email, phone, password)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from nicegui import ui

from models.cabinet import Cabinet
from pages.accounts import signed_in_page
from pages.common import Form, client_ip, session_token, signed_in
from pages.confirm import link_button_page
from pages.layout import frame
from pages.register import password_inputs
from services import ebill, linking, profile, tokens
from services.errors import ReauthRequired
from services.texts import t


async def _ask_password() -> bool:
    """The password again, in a dialog; True once it checked out."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-sm'):
        question = ui.label(t('dialog.reauth'))
        dialog.props(f'aria-labelledby={question.html_id}')  # what the dialog is called when it opens
        form = Form()
        password = form.add('password', ui.input(t('label.password'), password=True)).classes('w-full')
        password.mark('reauth-password')
        password.props('autocomplete=current-password')
        with ui.row().classes('w-full justify-end'):
            ui.button(t('button.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
            button = ui.button(t('button.continue')).props('color=primary')

        async def check() -> None:
            await profile.confirm_password(await signed_in(), session_token(), password.value, ip=client_ip())
            dialog.submit(True)

        button.on_click(lambda: form.submit(button, check))
        password.on('keydown.enter', lambda: form.submit(button, check))
    confirmed = await dialog
    dialog.delete()
    return bool(confirmed)


def _reauthenticating(action: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """Profile changes ask for the password when it was typed over 5 minutes ago, then carry on."""

    async def run() -> None:
        try:
            await action()
        except ReauthRequired:
            if await _ask_password():
                await action()

    return run


def _accounts_block(cabinet: Cabinet, accounts: list) -> None:
    ui.label(t('settings.accounts')).classes('text-lg font-medium').props('role=heading aria-level=2')
    for account in accounts:
        card = ui.card().classes('w-full').mark(f'linked-{account.number}')
        with card, ui.row().classes('w-full items-start justify-between no-wrap'):
            with ui.column().classes('gap-0'):
                ui.label(account.number).classes('font-medium')
                ui.label(f'{account.region.name}, {account.address}').classes('text-sm').props('lang=ru')
            if account.number == cabinet.login:
                ui.icon('lock').props(f'aria-label="{t("settings.own_account")}"').tooltip(t('settings.own_account'))
            else:
                ui.button(t('button.unlink'), on_click=lambda number=account.number: _confirm_unlink(number)).props(
                    f'flat dense color=negative aria-label="{t("button.unlink")} {account.number}"'
                )
    ui.link(t('settings.add_account'), '/accounts/add')


async def _confirm_unlink(number: str) -> None:
    with ui.dialog() as dialog, ui.card():
        question = ui.label(t('dialog.unlink', number=number))
        dialog.props(f'aria-labelledby={question.html_id}')
        form = Form()
        with ui.row().classes('w-full justify-end'):
            ui.button(t('button.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
            button = ui.button(t('button.unlink')).props('color=negative').mark('confirm-unlink')

        async def unlink() -> None:
            await linking.unlink_account(await signed_in(), number, ip=client_ip())
            dialog.submit(True)

        button.on_click(lambda: form.submit(button, unlink))
    if await dialog:
        ui.notify(t('done.unlinked', number=number))
        ui.navigate.to('/settings')
    dialog.delete()


def _status(value: str | None, confirmed: object) -> str:
    if not value:
        return t('settings.none')
    return f'{value} ({t("settings.confirmed") if confirmed else t("settings.unconfirmed")})'


def _email_block(cabinet: Cabinet) -> None:
    ui.label(t('settings.email', email=_status(cabinet.email, cabinet.email_confirmed_at))).mark('current-email')
    form = Form()
    email = form.add('email', ui.input(t('label.new_email'))).props('type=email autocomplete=email').classes('w-full')
    button = ui.button(t('button.change_email')).props('outline')
    done = ui.label().props('role=status')

    async def change() -> None:
        await profile.request_email_change(await signed_in(), session_token(), email.value, ip=client_ip())
        done.text = t('done.email_change_sent', email=email.value.strip())

    button.on_click(lambda: form.submit(button, _reauthenticating(change)))


def _phone_block(cabinet: Cabinet) -> None:
    ui.label(t('settings.phone', phone=_status(cabinet.phone, cabinet.phone_confirmed_at))).mark('current-phone')
    form = Form()
    phone = form.add('phone', ui.input(t('label.new_phone'))).props('type=tel autocomplete=tel').classes('w-full')
    send = ui.button(t('button.get_code')).props('outline').mark('phone-send-code')
    code = form.add('code', ui.input(t('label.code'))).props('inputmode=numeric autocomplete=one-time-code')
    code.classes('w-full').mark('phone-code')
    button = ui.button(t('button.change_phone')).props('outline')
    done = ui.label().props('role=status')
    state: dict[str, uuid.UUID | None] = {'request': None}

    async def send_code() -> None:
        state['request'] = await profile.send_phone_code(
            await signed_in(), session_token(), phone.value, ip=client_ip(), request_id=state['request']
        )
        done.text = t('done.code_sent', phone=phone.value.strip())

    async def change() -> None:
        cabinet = await signed_in()
        await profile.change_phone(cabinet, session_token(), state['request'], code.value, ip=client_ip())
        await cabinet.refresh_from_db()
        done.text = t('done.phone_changed', phone=cabinet.phone)

    send.on_click(lambda: form.submit(send, _reauthenticating(send_code)))
    button.on_click(lambda: form.submit(button, _reauthenticating(change)))


def _password_block() -> None:
    ui.label(t('settings.password')).classes('font-medium')
    form = Form()
    current = form.add('current_password', ui.input(t('label.current_password'), password=True))
    current.props('autocomplete=current-password').classes('w-full')
    password_inputs(form, t('label.new_password'), field='new_password')
    button = ui.button(t('button.change_password')).props('outline')
    done = ui.label().props('role=status')

    async def change() -> None:
        await profile.change_password(
            await signed_in(),
            session_token(),
            current.value,
            form.fields['new_password'].value,
            form.fields['password_confirm'].value,
            ip=client_ip(),
        )
        for name in ('current_password', 'new_password', 'password_confirm'):
            form.fields[name].value = ''
        done.text = t('done.password_changed_here')

    button.on_click(lambda: form.submit(button, change))


def _ebill_block(state: ebill.EBillState) -> None:
    """Seed 004: a toggle per account, the delivery email prefilled (an empty white field when there is none)."""
    number = state.account.number
    with ui.card().classes('w-full').mark(f'ebill-{number}') as card:
        title = ui.label(f'{number} — {state.account.address}').classes('font-medium').props('lang=ru')
        # every account's block has the same switch, field and button: the group's name tells them apart
        card.props(f'role=group aria-labelledby={title.html_id}')
        form = Form()
        toggle = ui.switch(t('ebill.toggle'), value=state.enabled).mark(f'ebill-toggle-{number}')
        email = (
            form.add('email', ui.input(t('label.email'), value=state.email))
            .props('type=email autocomplete=email outlined bg-color=white')
            .classes('w-full')
            .mark(f'ebill-email-{number}')
        )
        note = ui.label().props('role=status').classes('text-sm')
        if state.pending_confirmation:
            note.text = t('ebill.pending', email=state.email)
        if state.bouncing:
            warning = t('ebill.bouncing', reason=state.bounce_reason)
            ui.label(warning).classes('text-negative text-sm').props('role=alert')
            # the recipient's server wrote it in its own words: for the customer's mail provider or support
            ui.label(t('ebill.bounce.reply', reply=state.bounce_reply)).classes('text-sm text-grey-8')
        button = ui.button(t('button.save')).props('outline').mark(f'ebill-save-{number}')

        async def save() -> None:
            saved = await ebill.save_ebill(await signed_in(), number, toggle.value, email.value, ip=client_ip())
            if not saved.enabled:
                note.text = t('ebill.off')
            elif saved.pending_confirmation:
                note.text = t('ebill.pending', email=saved.email)
            else:
                note.text = t('ebill.on', email=saved.email)

        button.on_click(lambda: form.submit(button, save))


async def settings_page() -> None:
    signed = await signed_in_page()
    if signed is None:
        return
    cabinet, accounts, current = signed
    with frame(t('title.settings'), cabinet, accounts, current):
        _accounts_block(cabinet, accounts)
        ui.separator()
        ui.label(t('settings.profile')).classes('text-lg font-medium').props('role=heading aria-level=2')
        ui.label(t('settings.login', login=cabinet.login))
        _email_block(cabinet)
        ui.separator()
        _phone_block(cabinet)
        ui.separator()
        _password_block()
        states = await ebill.ebill_states(cabinet)
        if states:
            ui.separator()
            ui.label(t('ebill.title')).classes('text-lg font-medium').props('role=heading aria-level=2')
            ui.label(t('ebill.hint')).classes('text-sm')
            for state in states:
                _ebill_block(state)


async def email_change_page(token: str = '') -> None:
    """The link sent to the NEW address."""

    async def use() -> str | None:
        cabinet = await profile.confirm_email_change(token, ip=client_ip())
        return t('done.email_changed', email=cabinet.email) if cabinet else None

    await link_button_page(
        t('title.email_change'),
        tokens.CHANGE_EMAIL,
        token,
        button_label=t('button.confirm_new_email'),
        invalid=t('error.email_link_invalid'),
        use=use,
    )


async def ebill_confirm_page(token: str = '') -> None:
    """The link sent to a new e-bill address."""

    async def use() -> str | None:
        account = await ebill.confirm_ebill(token, ip=client_ip())
        return t('ebill.confirmed', number=account.number) if account else None

    await link_button_page(
        t('ebill.confirm_title'),
        tokens.CONFIRM_EBILL,
        token,
        button_label=t('button.confirm_new_email'),
        invalid=t('error.email_link_invalid'),
        use=use,
    )
