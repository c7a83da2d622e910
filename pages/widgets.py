"""What the screens build their forms from: a form with field errors and one submit at a time, the double-click
guard, password inputs, the success note, the spam-folder hint and the account link form."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from nicegui import ui
from nicegui.elements.mixins.disableable_element import DisableableElement

from pages.session import client_ip, remember_account, signed_in
from services import config
from services.accounts import linking
from services.errors import InvalidInput, PortalError
from services.texts import t

log = logging.getLogger('portal.pages')


class Form:
    """Inputs by field name, a form-level error line, and one submit at a time."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.message = ui.label().classes('text-negative').props('role=alert aria-live=assertive')
        self.message.set_visibility(False)
        self.busy = False

    def add(self, name: str, element: Any) -> Any:
        self.fields[name] = element
        return element

    def clear_errors(self) -> None:
        for element in self.fields.values():
            if hasattr(element, 'error'):
                element.error = None
            _announce_error(element, None)
        self.message.set_visibility(False)

    def show_error(self, error: PortalError) -> None:
        errors: Mapping[str, str] = (
            error.errors if isinstance(error, InvalidInput) else {error.field or '': error.message}
        )
        for name, message in errors.items():
            element = self.fields.get(name)
            if element is not None and hasattr(element, 'error'):
                element.error = message
                _announce_error(element, message)
            else:
                self.message.text = message
                self.message.set_visibility(True)

    async def submit(self, button: ui.button, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` with the button spinning and disabled; a second click on any of this form's buttons
        meanwhile does nothing. Errors show at their fields or on the form's error line."""
        if self.busy:
            return
        self.busy = True
        self.clear_errors()
        try:
            await busy_while(button, action, self.show_error)
        finally:
            self.busy = False


#: elements whose action is running: a click on them meanwhile is dropped
_busy: weakref.WeakSet[ui.element] = weakref.WeakSet()


async def busy_while(
    element: ui.element, action: Callable[[], Awaitable[None]], show_error: Callable[[PortalError], None]
) -> None:
    """The one way a click waits on a service: `element` spins (a button) and is disabled until `action` ends, and
    a click on it meanwhile does nothing, even one already on its way from the browser. A button without a form
    (a download, the menu's logout) passes `notify_error`; a Form passes its own `show_error`."""
    if element in _busy:
        return
    _busy.add(element)
    if isinstance(element, ui.button):
        element.props('loading')
    if isinstance(element, DisableableElement):
        element.disable()
    try:
        await action()
    except PortalError as error:
        show_error(error)
    except Exception:
        log.exception('unexpected error in a click handler')
        show_error(PortalError(t('error.unexpected')))
    finally:
        _busy.discard(element)
        if isinstance(element, ui.button):
            element.props(remove='loading')
        if isinstance(element, DisableableElement):
            element.enable()


async def confirmed(question: str, action: str, *, color: str = 'negative') -> bool:
    """Whether the staff member or customer answered `question` with `action` (a button of `color`), not «Отмена»."""
    with ui.dialog() as dialog, ui.card():
        text = ui.label(question)
        dialog.props['aria-labelledby'] = text.html_id  # what the dialog is called when it opens
        with ui.row().classes('w-full justify-end'):
            ui.button(t('button.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
            button = ui.button(action, on_click=lambda: dialog.submit(True)).mark('confirm')
            button.props['color'] = color
    answer = await dialog
    dialog.delete()
    return bool(answer)


def notify_error(error: PortalError) -> None:
    ui.notify(error.message, type='negative')


def _announce_error(element: Any, message: str | None) -> None:
    """Quasar shows a field's error under it (role=alert) but leaves the input unmarked: screen readers should hear
    «invalid» and the message when they come back to the field (WCAG 3.3.1). Quasar puts these on the <input>."""
    if not isinstance(element, ui.input):
        return
    element.props.set_optional('aria-invalid', 'true' if message else None)
    element.props.set_optional('aria-description', message or None)


class ErrorNote:
    """An error line under an element that has no error slot of its own (a checkbox)."""

    def __init__(self) -> None:
        self.label = ui.label().classes('text-negative text-sm').props('role=alert')
        self.label.set_visibility(False)

    @property
    def error(self) -> str | None:
        return self.label.text or None

    @error.setter
    def error(self, message: str | None) -> None:
        self.label.text = message or ''
        self.label.set_visibility(bool(message))


def password_inputs(form: Form, label: str, *, field: str = 'password') -> None:
    """A new password and its confirmation, with the profile's length rule as a hint."""
    rules = config.settings.profile_rules
    password = form.add(field, ui.input(label, password=True, password_toggle_button=True))
    password.props('autocomplete=new-password').classes('w-full')
    password.props['hint'] = t('hint.password_rules', min=rules.password_min, max=rules.password_max)
    form.add('password_confirm', ui.input(t('label.password_confirm'), password=True)).props(
        'autocomplete=new-password'
    ).classes('w-full')


def mail_sent(text: str) -> str:
    """`text` announcing an email to wait for, with the hint customers need most when it does not come: the spam
    folder (the utility's help says so)."""
    return f'{text} {t("hint.spam")}'


def success(body: ui.column, text: str, *, link_to_login: bool = True) -> None:
    body.clear()
    with body:
        ui.label(text).props('role=status').mark('result')
        if link_to_login:
            ui.link(t('link.to_login'), '/login')


def link_form() -> None:
    """«Номер лицевого счёта» + «Подтверждение» → «Добавить»; the new account shows at once."""
    ui.label(t('hint.add_account')).classes('text-sm')
    form = Form()
    number = form.add('account', ui.input(t('label.account_number'))).props('inputmode=numeric')
    number.classes('w-full')
    proof = form.add('proof', ui.input(t('label.proof'))).classes('w-full')
    proof.props['hint'] = t('hint.proof')
    button = ui.button(t('button.add')).classes('w-full').props('color=primary')

    async def add() -> None:
        account = await linking.link_account(await signed_in(), number.value, proof.value, ip=client_ip())
        remember_account(account.number)
        ui.notify(t('done.linked', number=account.number), type='positive')
        ui.navigate.to('/')

    button.on_click(lambda: form.submit(button, add))
