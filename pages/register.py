"""Registration screens: by login and by personal account (docs/product.md, flows 1 and 2)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from nicegui import ui

from pages.session import client_ip, end_first_entry, first_entry_number, hand_over_session
from pages.shell.frame import frame
from pages.widgets import ErrorNote, Form, mail_sent, password_inputs, success
from services import config
from services.identity import registration
from services.identity.registration import BY_EMAIL, BY_SMS, RegistrationForm
from services.texts import t


class Confirmation:
    """The «По электронной почте» / «По SMS» choice, the code request and its «Подтверждено» mark."""

    def __init__(self, form: Form, phone: ui.input, *, send_label: str, sms_only: bool) -> None:
        self.form = form
        self.phone = phone
        self.request_id: uuid.UUID | None = None
        self.confirm_by = BY_SMS if sms_only else BY_EMAIL
        if sms_only:
            ui.label(t('hint.atom_both')).classes('text-sm')
            self._sms_panel(send_label)
            return
        with ui.tabs().classes('w-full') as tabs:
            email_tab = ui.tab(BY_EMAIL, t('tab.by_email'))
            ui.tab(BY_SMS, t('tab.by_sms'))
        tabs.on_value_change(lambda event: setattr(self, 'confirm_by', event.value))
        with ui.tab_panels(tabs, value=email_tab).classes('w-full'):
            with ui.tab_panel(BY_EMAIL):
                ui.label(t('title.confirm_by_email_hint')).classes('text-sm')
            with ui.tab_panel(BY_SMS):
                self._sms_panel(send_label)

    def _sms_panel(self, send_label: str) -> None:
        self.send_button = ui.button(send_label, on_click=self._send).props('outline')
        with ui.row().classes('w-full items-start no-wrap'):
            self.code = (
                self.form.add('code', ui.input(t('label.code')))
                .props('inputmode=numeric autocomplete=one-time-code maxlength=6')
                .classes('grow')
            )
            self.ok_button = ui.button(t('button.ok'), on_click=self._verify)
        self.confirmed = ui.label(f'✓ {t("mark.confirmed")}').classes('text-positive font-medium')
        self.confirmed.set_visibility(False)
        self.sent_note = ui.label().classes('text-sm').props('aria-live=polite')

    async def _send(self) -> None:
        async def action() -> None:
            self.request_id = await registration.send_registration_code(
                self.phone.value, ip=client_ip(), request_id=self.request_id
            )
            self.confirmed.set_visibility(False)
            self.sent_note.text = t('done.code_sent', phone=self.phone.value.strip())

        await self.form.submit(self.send_button, action)

    async def _verify(self) -> None:
        async def action() -> None:
            await registration.confirm_registration_code(self.request_id, self.code.value)
            self.confirmed.set_visibility(True)
            self.code.disable()

        await self.form.submit(self.ok_button, action)
        if self.confirmed.visible:  # after submit: it re-enables its button when the action ends
            self.ok_button.disable()


def consent_checkbox(form: Form) -> ui.checkbox:
    box = ui.checkbox(t('consent.label'))
    form.add('consent', ErrorNote())
    return box


class RegistrationScreen:
    """The shared part of both registration forms: fields, confirmation tabs, consent, the submit button."""

    def __init__(
        self, title: str, build_fields: Callable[[Form], None], submit_label: str, *, send_label: str, sms_only: bool
    ) -> None:
        with frame(title) as self.body:
            self.form = Form()
            build_fields(self.form)
            self.confirmation = Confirmation(
                self.form, self.form.fields['phone'], send_label=send_label, sms_only=sms_only
            )
            self.consent = consent_checkbox(self.form)
            self.button = ui.button(submit_label).classes('w-full').props('color=primary')
            self.form.message.move(self.body)

    def values(self) -> RegistrationForm:
        """What was typed; the flow-specific field (login or surname) is whichever this form has."""
        fields = self.form.fields
        return RegistrationForm(
            login=fields['login'].value if 'login' in fields else '',
            surname=fields['surname'].value if 'surname' in fields else '',
            password=fields['password'].value,
            password_confirm=fields['password_confirm'].value,
            email=fields['email'].value,
            phone=fields['phone'].value,
            confirm_by=self.confirmation.confirm_by,
            phone_request=self.confirmation.request_id,
            consent=self.consent.value,
        )

    def on_submit(self, action: Callable[[], Awaitable[None]]) -> None:
        self.button.on_click(lambda: self.form.submit(self.button, action))


def register_page() -> None:
    rules = config.settings.profile_rules
    if not rules.register_by_login:
        ui.navigate.to('/login')
        return

    def fields(form: Form) -> None:
        login = form.add('login', ui.input(t('label.login'))).props('autocomplete=username').classes('w-full')
        login.props['hint'] = t('hint.login_rules')
        password_inputs(form, t('label.password'))
        form.add('email', ui.input(t('label.email'))).props('type=email autocomplete=email').classes('w-full')
        phone = form.add('phone', ui.input(t('label.phone'))).props('type=tel autocomplete=tel').classes('w-full')
        phone.props['hint'] = t('hint.phone')

    screen = RegistrationScreen(
        t('title.register'),
        fields,
        t('button.register'),
        send_label=t('button.get_code'),
        sms_only=rules.require_sms_and_email,
    )

    async def register() -> None:
        outcome = await registration.register_by_login(screen.values(), ip=client_ip())
        if outcome.active:
            success(screen.body, t('done.registered_active'))
        else:
            success(screen.body, mail_sent(t('done.registered_email', email=outcome.cabinet.email)))

    screen.on_submit(register)


def first_entry_page(key: str = '') -> None:
    """Flow 2, step 2: reached only by the link the login page gives the tab whose «Номер лицевого счёта» +
    «Фамилия» checked out."""
    number = first_entry_number(key)
    if number is None:
        ui.navigate.to('/login')
        return

    def fields(form: Form) -> None:
        form.add('surname', ui.input(t('label.surname'))).props('autocomplete=family-name').classes('w-full')
        password_inputs(form, t('label.new_password'))
        form.add('email', ui.input(t('label.email'))).props('type=email autocomplete=email').classes('w-full')
        phone = form.add('phone', ui.input(t('label.phone'))).props('type=tel autocomplete=tel').classes('w-full')
        phone.props['hint'] = t('hint.phone_optional')

    screen = RegistrationScreen(
        t('title.register_account', number=number),
        fields,
        t('button.save'),
        send_label=t('button.send_sms'),
        sms_only=False,
    )

    async def save() -> None:
        outcome = await registration.register_by_account(number, screen.values(), ip=client_ip())
        end_first_entry(key)
        if outcome.session_token:
            hand_over_session(outcome.session_token)
        else:
            success(screen.body, mail_sent(t('done.registered_email', email=outcome.cabinet.email)))

    screen.on_submit(save)
