"""The operator console's frame: the header with the utility's name, the console's sections for the signed-in staff
member's role and «Выйти»; every console page sits in it.

A console page is built as

    async def customers_page() -> None:
        staff = await staff_page()
        if staff is None:
            return
        with console_frame(t('staff.customers.title'), staff, section='customers'):
            ...

and each of its handlers asks `await signed_in_staff()` (pages/session.py) again before acting, and hands that staff
member to the service, which checks the role: the frame only hides the sections a role may not use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nicegui import ui

from pages.session import STAFF, client_ip, current_staff
from pages.shell.brand import brand_link
from pages.shell.language import language_switch
from pages.widgets import busy_while, notify_error
from services import config
from services.staff import login as staff_login
from services.staff import roles
from services.staff.roles import StaffRole
from services.texts import t

if TYPE_CHECKING:
    from models.staff import Staff


@dataclass(frozen=True)
class ConsoleSection:
    #: its key: the text `staff.nav.<name>`, the mark `staff-nav-<name>`
    name: str
    path: str
    #: a Material icon's name
    icon: str
    #: the least role that sees it in the navigation (its services check the role themselves)
    role: StaffRole = StaffRole.VIEWER


#: in the order staff see them
SECTIONS = (
    ConsoleSection('customers', '/staff/customers', 'support_agent'),
    ConsoleSection('audit', '/staff/audit', 'history'),
    ConsoleSection('outbox', '/staff/outbox', 'outgoing_mail'),
    ConsoleSection('import', '/staff/import', 'upload_file', StaffRole.ADMIN),
    ConsoleSection('team', '/staff/team', 'badge', StaffRole.ADMIN),
)
#: white on the brand colour (checked for 4.5:1 by config), the current one underlined and bold; text before the icon
#: in the DOM, shown after it (as the customers' navigation does)
_LINK = 'text-white no-underline px-2 py-1 rounded flex flex-row-reverse items-center gap-1'


async def staff_page() -> Staff | None:
    """The staff member a console page is built for; None, and off to the console's login, when the session is gone
    (the middleware sends a browser without one there before the page is built; this catches one ended since)."""
    staff = await current_staff()
    if staff is None:
        ui.navigate.to(STAFF.login_path)
    return staff


@contextmanager
def console_frame(title: str, staff: Staff | None = None, *, section: str | None = None) -> Iterator[ui.column]:
    """The page titled `title`; with a signed-in `staff` member the navigation (`section`, one of SECTIONS' names,
    marked current) and «Выйти». Whatever the page builds inside the block comes under the title."""
    ui.page_title(f'{title} — {t("staff.console")} — {config.settings.brand_name}')
    with ui.header().classes('column items-stretch px-4 py-2 gap-1'):
        with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
            with ui.row().classes('items-center no-wrap gap-2'):
                brand_link(STAFF.home_path)
                ui.label(t('staff.console')).classes('gt-xs text-white')
            language_switch(for_cabinet=False)
        if staff is not None:
            _navigation(staff, section)
    with ui.column().classes('w-full max-w-5xl mx-auto p-4 gap-3') as body:
        ui.label(title).classes('text-2xl font-medium').props('role=heading aria-level=1')
        yield body


def _navigation(staff: Staff, current: str | None) -> None:
    nav = ui.element('nav').classes('row items-center gap-1')
    nav.props['aria-label'] = t('staff.nav.label')
    with nav:
        for section in SECTIONS:
            if not roles.allows(staff, section.role):
                continue
            with ui.link(t(f'staff.nav.{section.name}'), section.path).classes(_LINK) as link:
                ui.icon(section.icon, size='xs')
            link.mark(f'staff-nav-{section.name}')
            if section.name == current:
                link.props['aria-current'] = 'page'
                link.classes('font-bold underline underline-offset-4')
        logout = ui.button(t('button.logout'), icon='logout').props('flat dense no-caps color=white')
        logout.mark('staff-logout')
        logout.on_click(lambda: busy_while(logout, _logout, notify_error))


async def _logout() -> None:
    """Ends the session this tab was shown; the next response clears its cookie."""
    await staff_login.logout(STAFF.token(), ip=client_ip())
    ui.navigate.to(STAFF.end_path)
