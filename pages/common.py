"""What every page needs: the caller's IP, the session, field errors and double-submit guards."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from nicegui import app, ui
from nicegui.elements.mixins.disableable_element import DisableableElement

from models.billing import Account
from models.cabinet import Cabinet
from services import sessions
from services.errors import InvalidInput, NotAllowed, PortalError
from services.texts import t

log = logging.getLogger('portal.pages')
SESSION_KEY = 'session'
#: the personal account the header shows; kept per browser so the choice survives a reload
ACCOUNT_KEY = 'account'


def client_ip() -> str | None:
    request = ui.context.client.request
    return request.client.host if request.client else None


async def current_cabinet() -> Cabinet | None:
    """Re-checked in every sensitive handler, not only at page load."""
    return await sessions.resolve(app.storage.user.get(SESSION_KEY))


def session_token() -> str:
    return app.storage.user.get(SESSION_KEY) or ''


async def signed_in() -> Cabinet:
    """The cabinet of this browser's live session; every sensitive handler asks again before acting."""
    cabinet = await current_cabinet()
    if cabinet is None:
        ui.navigate.to('/login')
        raise NotAllowed(t('error.session_expired'))
    return cabinet


def choose_account(accounts: list[Account]) -> Account | None:
    """The remembered account if it is still linked, else the first one."""
    wanted = app.storage.user.get(ACCOUNT_KEY)
    return next((account for account in accounts if account.number == wanted), accounts[0] if accounts else None)


def remember_account(number: str) -> None:
    app.storage.user[ACCOUNT_KEY] = number


def remember_session(token: str) -> None:
    app.storage.user[SESSION_KEY] = token


def forget_session() -> str | None:
    return app.storage.user.pop(SESSION_KEY, None)


def safe_redirect(target: str | None) -> str:
    """Only local paths: anything else would make the login page an open redirect."""
    if target and target.startswith('/') and not target.startswith('//') and '\\' not in target:
        return target
    return '/'


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
