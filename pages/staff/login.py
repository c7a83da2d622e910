"""The console's login: «Логин», «Пароль» and the code from the authenticator app (or a recovery code)."""

from __future__ import annotations

from nicegui import ui

from pages.session import STAFF, client_ip, hand_over_session, kind_of, safe_redirect
from pages.staff.frame import console_frame
from pages.widgets import Form
from services.staff import login as staff_login
from services.texts import t


def staff_login_page(redirect_to: str = STAFF.home_path) -> None:
    with console_frame(t('staff.login.title')):
        form = Form()
        login = form.add('login', ui.input(t('label.login'))).props('autocomplete=username').classes('w-full')
        password = form.add('password', ui.input(t('label.password'), password=True, password_toggle_button=True))
        password.props('autocomplete=current-password').classes('w-full')
        code = form.add('code', ui.input(t('staff.label.code'))).classes('w-full')
        code.props('autocomplete=one-time-code')  # no numeric keyboard: a recovery code has letters
        code.props['hint'] = t('staff.hint.code')
        button = ui.button(t('button.login')).classes('w-full').props('color=primary')

        async def enter() -> None:
            _, token = await staff_login.login(login.value, password.value, code.value, ip=client_ip())
            hand_over_session(token, console_path(redirect_to), STAFF)

        button.on_click(lambda: form.submit(button, enter))
        code.on('keydown.enter', lambda: form.submit(button, enter))
        ui.label(t('staff.login.help')).classes('text-sm')


def console_path(target: str) -> str:
    """Where a staff login goes on to: a console page, whatever the link said (a customer's page would only ask
    for a customer's login)."""
    path = safe_redirect(target)
    page = path.split('?', 1)[0]
    return path if kind_of(page) is STAFF and page != STAFF.login_path else STAFF.home_path
