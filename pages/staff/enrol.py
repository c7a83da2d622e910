"""The page behind an enrolment link: a password, the authenticator app (its QR code, or the key typed by hand) and
its first code; then the recovery codes, shown once, and on into the console."""

from __future__ import annotations

from nicegui import ui

from pages.session import STAFF, client_ip, hand_over_session
from pages.staff.frame import console_frame
from pages.widgets import Form, password_inputs
from services.errors import PortalError
from services.staff import enrolment
from services.texts import t


async def enrol_page(token: str = '') -> None:
    with console_frame(t('staff.enrol.title')), ui.column().classes('w-full max-w-xl gap-3') as content:
        try:
            started = await enrolment.open_enrolment(token)
        except PortalError as error:
            ui.label(error.message).classes('text-negative').props('role=alert').mark('enrol-refused')
            return
        ui.label(t('staff.enrol.intro', login=started.login))
        form = Form()
        _heading(t('staff.enrol.password'))
        password_inputs(form, t('label.new_password'))
        _heading(t('staff.enrol.app'))
        ui.label(t('staff.enrol.scan'))
        qr = ui.element('img').classes('w-56 h-56').mark('totp-qr')
        qr.props.update(src=started.qr, alt=t('staff.enrol.qr_alt'))
        ui.label(t('staff.enrol.manual'))
        ui.label(started.key).classes('font-mono text-lg').mark('totp-key')
        code = form.add('code', ui.input(t('staff.label.first_code'))).classes('w-full')
        code.props('autocomplete=one-time-code inputmode=numeric')
        button = ui.button(t('staff.button.enrol')).classes('w-full').props('color=primary')

        async def complete() -> None:
            fields = form.fields
            done = await enrolment.complete_enrolment(
                token,
                started.secret,
                fields['password'].value,
                fields['password_confirm'].value,
                code.value,
                ip=client_ip(),
            )
            _recovery_codes(content, done)

        button.on_click(lambda: form.submit(button, complete))
        code.on('keydown.enter', lambda: form.submit(button, complete))


def _heading(text: str) -> None:
    ui.label(text).classes('text-lg font-medium').props('role=heading aria-level=2')


def _recovery_codes(content: ui.column, done: enrolment.Enrolled) -> None:
    """The codes, once: the page's state is all that holds them."""
    content.clear()
    with content:
        ui.label(t('staff.enrol.done', login=done.staff.login)).props('role=status').mark('enrolled')
        _heading(t('staff.enrol.codes'))
        ui.label(t('staff.enrol.codes_once'))
        with ui.element('ol').classes('list-decimal pl-8 font-mono text-lg').mark('recovery-codes'):
            for code in done.recovery_codes:
                with ui.element('li'):
                    ui.label(code)
        go = ui.button(t('staff.button.to_console')).props('color=primary').mark('to-console')
        go.on_click(lambda: hand_over_session(done.session_token, STAFF.home_path, STAFF))
