"""«Настройки» in three sections: «Лицевые счета» (the linked personal accounts), «Профиль» (email, phone,
password) and «Квитанции и уведомления» (e-bills); the pages behind the links that confirm a new email address and
a new e-bill address."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from nicegui import ui

from pages.session import client_ip, session_token, signed_in, signed_in_page
from pages.shell.frame import frame
from pages.shell.link_page import link_button_page
from pages.widgets import Form, mail_sent, password_inputs
from services.accounts import linking
from services.billing import ebill
from services.errors import ReauthRequired
from services.identity import email_change, password_change, phone_change, reauth, tokens
from services.readings import notices as reading_notices
from services.texts import t

if TYPE_CHECKING:
    from models.cabinet import Cabinet


async def _ask_password() -> bool:
    """The password again, in a dialog; True once it checked out."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-sm'):
        question = ui.label(t('dialog.reauth'))
        dialog.props['aria-labelledby'] = question.html_id  # what the dialog is called when it opens
        form = Form()
        password = form.add('password', ui.input(t('label.password'), password=True)).classes('w-full')
        password.mark('reauth-password')
        password.props('autocomplete=current-password')
        with ui.row().classes('w-full justify-end'):
            ui.button(t('button.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
            button = ui.button(t('button.continue')).props('color=primary')

        async def check() -> None:
            await reauth.confirm_password(await signed_in(), session_token(), password.value, ip=client_ip())
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
                lock = ui.icon('lock').tooltip(t('settings.own_account'))
                lock.props['aria-label'] = t('settings.own_account')
            else:
                unlink = ui.button(t('button.unlink'), on_click=lambda number=account.number: _confirm_unlink(number))
                unlink.props('flat dense color=negative')
                unlink.props['aria-label'] = f'{t("button.unlink")} {account.number}'
    ui.link(t('settings.add_account'), '/accounts/add')


async def _confirm_unlink(number: str) -> None:
    with ui.dialog() as dialog, ui.card():
        question = ui.label(t('dialog.unlink', number=number))
        dialog.props['aria-labelledby'] = question.html_id
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
        await email_change.request_email_change(await signed_in(), session_token(), email.value, ip=client_ip())
        done.text = mail_sent(t('done.email_change_sent', email=email.value.strip()))

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
        state['request'] = await phone_change.send_phone_code(
            await signed_in(), session_token(), phone.value, ip=client_ip(), request_id=state['request']
        )
        done.text = t('done.code_sent', phone=phone.value.strip())

    async def change() -> None:
        await phone_change.change_phone(
            await signed_in(), session_token(), state['request'], code.value, ip=client_ip()
        )
        changed = await signed_in()  # read again: the number as it was stored
        done.text = t('done.phone_changed', phone=changed.phone)

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
        await password_change.change_password(
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
    """Flow 6 (docs/product.md): a toggle per account, the delivery email prefilled (an empty white field if none)."""
    number = state.account.number
    with ui.card().classes('w-full').mark(f'ebill-{number}') as card:
        ui.label(f'{number} — {state.account.address}').classes('font-medium').props('lang=ru')
        # every account's block has the same switch, field and button, and the tab holds the reading notices' blocks
        # of the same accounts: the group's name says what and which account
        card.props('role=group')
        card.props['aria-label'] = t('ebill.group', number=number)
        form = Form()
        toggle = ui.switch(t('ebill.toggle'), value=state.enabled).mark(f'ebill-toggle-{number}')
        email = (
            form.add('email', ui.input(t('label.email'), value=state.email))
            .props('type=email autocomplete=email outlined bg-color=white')
            .classes('w-full')
            .mark(f'ebill-email-{number}')
        )
        if state.managed_elsewhere:
            # another cabinet holding the account set it up: its address masked, its server's reply not shown
            ui.label(t('ebill.managed_elsewhere', email=state.email)).classes('text-sm')
        note = ui.label().props('role=status').classes('text-sm')
        if state.pending_confirmation:
            note.text = mail_sent(t('ebill.pending', email=state.email))
        if state.bouncing:
            warning = t('ebill.bouncing', reason=state.bounce_reason)
            ui.label(warning).classes('text-negative text-sm').props('role=alert')
        if state.bouncing and state.last_bounce:
            # the recipient's server wrote it in its own words: for the customer's mail provider or support
            ui.label(t('ebill.bounce.reply', reply=state.bounce_reply)).classes('text-sm text-grey-8')
        button = ui.button(t('button.save')).props('outline').mark(f'ebill-save-{number}')

        async def save() -> None:
            saved = await ebill.save_ebill(await signed_in(), number, toggle.value, email.value, ip=client_ip())
            if not saved.enabled:
                note.text = t('ebill.off')
            elif saved.pending_confirmation:
                note.text = mail_sent(t('ebill.pending', email=saved.email))
            else:
                note.text = t('ebill.on', email=saved.email)

        button.on_click(lambda: form.submit(button, save))


async def _reading_notices_block(cabinet: Cabinet) -> None:
    """Flow 8 (docs/product.md): per linked account, reminders of the readings window and the confirmation after a
    submission, by email and by SMS. A channel without a confirmed contact is off and disabled, and says why (one
    that is on stays clickable, so it can be turned off)."""
    states = await reading_notices.notice_states(cabinet)
    if not states:
        return
    ui.separator()
    ui.label(t('reading_notices.title')).classes('text-lg font-medium').props('role=heading aria-level=2')
    ui.label(t('reading_notices.hint')).classes('text-sm')

    def account_block(state: reading_notices.NoticeState) -> None:
        number = state.account.number
        with ui.card().classes('w-full').mark(f'reading-notices-{number}') as card:
            ui.label(f'{number} — {state.account.address}').classes('font-medium').props('lang=ru')
            # every account's block has the same switches, beside the e-bill's blocks: the name says what and which
            card.props('role=group')
            card.props['aria-label'] = t('reading_notices.group', number=number)
            form = Form()
            for channel in reading_notices.CHANNELS:
                reachable = state.email if channel.endswith('_email') else state.phone
                switch = ui.switch(t(f'reading_notices.{channel}'), value=getattr(state.choice, channel))
                form.add(channel, switch.mark(f'{channel}-{number}'))
                if reachable is None and not switch.value:
                    switch.disable()
            for contact, why in ((state.email, 'reading_notices.no_email'), (state.phone, 'reading_notices.no_phone')):
                if contact is None:
                    ui.label(t(why)).classes('text-sm text-grey-8')
            note = ui.label().props('role=status').classes('text-sm')
            button = ui.button(t('button.save')).props('outline').mark(f'reading-notices-save-{number}')

            async def save() -> None:
                choice = reading_notices.NoticeChoice(
                    **{name: form.fields[name].value for name in reading_notices.CHANNELS}
                )
                await reading_notices.save_reading_notices(await signed_in(), number, choice, ip=client_ip())
                note.text = t('reading_notices.saved')

            button.on_click(lambda: form.submit(button, save))

    for state in states:
        account_block(state)


#: «Настройки» in sections, one tab each, in this order; /settings?section=<name> opens one (the first otherwise)
SECTIONS = ('accounts', 'profile', 'notices')
SECTIONS_CSS = (
    '.lk-sections .q-tab { padding: 0 8px; } .lk-sections .q-tab__label { white-space: normal; line-height: 1.25; }'
)


async def settings_page(section: str = '') -> None:
    signed = await signed_in_page()
    if signed is None:
        return
    cabinet, accounts, current = signed
    opened = section if section in SECTIONS else SECTIONS[0]
    with frame(t('title.settings'), cabinet, accounts, current, section='settings'):
        # Quasar's tabs are a tablist of tabs (Tab reaches the open one, the arrows the others, Enter opens one) over
        # tabpanels; at 375 px the three share the width, their names on two lines rather than scrolled out of sight
        ui.add_css(SECTIONS_CSS)
        with ui.tabs().classes('w-full lk-sections').props('align=justify').mark('settings-tabs') as tabs:
            for name in SECTIONS:
                ui.tab(name, t(f'settings.section.{name}')).props('no-caps').mark(f'section-{name}')
        # the address says which section is open: a reload or a bookmark comes back to it
        tabs.on_value_change(lambda event: ui.navigate.history.replace(f'/settings?section={event.value}'))
        with ui.tab_panels(tabs, value=opened).classes('w-full') as panels:
            panels.mark('settings-panels')
            with _panel('accounts'):
                _accounts_block(cabinet, accounts)
            with _panel('profile'):
                _profile_block(cabinet)
            with _panel('notices'):
                await _notices_block(cabinet)


def _panel(name: str) -> ui.tab_panel:
    panel = ui.tab_panel(name).classes('px-0 column gap-3')
    panel.props['aria-label'] = t(f'settings.section.{name}')
    return panel


def _profile_block(cabinet: Cabinet) -> None:
    ui.label(t('settings.profile')).classes('text-lg font-medium').props('role=heading aria-level=2')
    ui.label(t('settings.login', login=cabinet.login))
    _email_block(cabinet)
    ui.separator()
    _phone_block(cabinet)
    ui.separator()
    _password_block()


async def _notices_block(cabinet: Cabinet) -> None:
    """«Квитанции и уведомления»: the e-bill per account; each further kind of notice is one more block here."""
    ui.label(t('ebill.title')).classes('text-lg font-medium').props('role=heading aria-level=2')
    states = await ebill.ebill_states(cabinet)
    if not states:
        ui.label(t('ebill.no_accounts')).classes('text-sm')
    else:
        ui.label(t('ebill.hint')).classes('text-sm')
    for state in states:
        _ebill_block(state)
    await _reading_notices_block(cabinet)


async def email_change_page(token: str = '') -> None:
    """The link sent to the NEW address."""

    async def use() -> str | None:
        cabinet = await email_change.confirm_email_change(token, ip=client_ip())
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
