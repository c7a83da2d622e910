"""What every page needs: the caller's IP, the session, field errors and double-submit guards."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from nicegui import app, ui

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
        self.message.set_visibility(False)

    def show_error(self, error: PortalError) -> None:
        errors: Mapping[str, str] = (
            error.errors if isinstance(error, InvalidInput) else {error.field or '': error.message}
        )
        for name, message in errors.items():
            element = self.fields.get(name)
            if element is not None and hasattr(element, 'error'):
                element.error = message
            else:
                self.message.text = message
                self.message.set_visibility(True)

    async def submit(self, button: ui.button, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` with the button spinning and disabled; a second click meanwhile does nothing."""
        if self.busy:
            return
        self.busy = True
        button.props('loading').disable()
        self.clear_errors()
        try:
            await action()
        except PortalError as error:
            self.show_error(error)
        except Exception:
            log.exception('unexpected error in a form handler')
            self.show_error(PortalError(t('error.unexpected')))
        finally:
            self.busy = False
            button.props(remove='loading').enable()


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
