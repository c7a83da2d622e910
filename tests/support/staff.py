"""Staff of the operator console as tests need them: added and enrolled through the services (the enrolment stories
cover its screens), their authenticator app's codes computed with pyotp, and signed in on the console's login page in
NiceGUI's simulated browser or over the raw socket."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pyotp
from nicegui import ui
from nicegui.testing import User

from models.staff import Staff, StaffRole
from services import clock
from services.staff import accounts, enrolment, totp
from tests.support.factories import GOOD
from tests.support.socket_client import Tab
from tests.support.stories import fill, see

#: what every console action refused to a role says (staff.error.forbidden)
FORBIDDEN = 'У вашей роли нет права на это действие.'


@dataclass
class StaffMember:
    """An enrolled staff member and what they hold: the password, the app's secret and the recovery codes."""

    staff: Staff
    password: str
    secret: str
    recovery_codes: list[str]
    #: the time step of the last code handed out (the enrolment's first): a login refuses it and every older one
    last_step: int

    @property
    def login(self) -> str:
        return self.staff.login

    def code(self) -> str:
        """A code of the app that no login has taken yet: the current step's, or the next one's (still within the
        window) when the current one was handed out already. Two logins within one step: move the clock between."""
        now = int(clock.now().timestamp()) // totp.INTERVAL
        step = max(now, self.last_step + 1)
        assert step <= now + totp.WINDOW, 'every code of this moment is used: move the clock on (fake_clock.advance)'
        self.last_step = step
        return app_code(self.secret, step)


def app_code(secret: str, step: int | None = None) -> str:
    """What the authenticator app shows for `secret` at the time step `step` (now, by services.clock, if not given)."""
    at = step * totp.INTERVAL if step is not None else int(clock.now().timestamp())
    return pyotp.TOTP(secret).at(at)


def token_of(link: str) -> str:
    """The token of an enrolment link."""
    return link.split('token=', 1)[1]


async def enrolled_staff(
    login: str = 'chief', role: StaffRole = StaffRole.ADMIN, *, password: str = GOOD
) -> StaffMember:
    """A staff member of `role`, added on the command line and enrolled with `password` and a new app."""
    _, link = await accounts.add_staff(login, role.value, by=None)
    started = await enrolment.open_enrolment(token_of(link))
    step = int(clock.now().timestamp()) // totp.INTERVAL
    code = app_code(started.secret, step)
    done = await enrolment.complete_enrolment(token_of(link), started.secret, password, password, code, ip=None)
    return StaffMember(done.staff, password, started.secret, done.recovery_codes, step)


async def log_in_staff(user: User, member: StaffMember, code: str | None = None, *, path: str = '/staff/login') -> None:
    """«Войти» on the console's login page (at `path`, e.g. with a redirect_to) with the member's password and a new
    code from their app, unless `code` says otherwise."""
    await user.open(path)
    await see(user, 'Вход для сотрудников')
    fill(user, {'Логин': member.login, 'Пароль': member.password, 'Код из приложения': code or member.code()})
    user.find(kind=ui.button, content='Войти').click()


async def staff_signed_in(user: User, role: StaffRole = StaffRole.ADMIN, login: str = 'chief') -> StaffMember:
    """An enrolled staff member of `role`, logged in on the console's login page: the console's start page shows."""
    member = await enrolled_staff(login, role)
    await log_in_staff(user, member)
    await see(user, f'Вы вошли как {login}')
    return member


def log_in_staff_over_socket(http: httpx.Client, member: StaffMember) -> None:
    """The console's login over the raw socket, as a staff member's browser does; the jar then holds the staff cookie.
    The server runs on the wall clock: so does the code (`member.code()` with no fake clock installed)."""
    tab = Tab(http, '/staff/login')
    try:
        tab.type('Логин', member.login)
        tab.type('Пароль', member.password)
        tab.type('Код из приложения', member.code())
        tab.click('Войти')
        page = tab.follow()  # /staff/session/start?key=…, which sets the cookie, then on to the console
        assert page.url.path == '/staff', f'not logged in: {page.url}'
    finally:
        tab.close()
