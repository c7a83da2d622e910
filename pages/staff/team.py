"""«Сотрудники», for admins: adding a staff member (their enrolment link is shown once, to hand over), and the staff
list with each one's role and state: a new role, disabling one, a new enrolment link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from nicegui import ui

from pages.session import signed_in_staff
from pages.staff.frame import console_frame, staff_page
from pages.widgets import Form, busy_while, confirmed, notify_error
from services import clock
from services.staff import accounts, roles
from services.staff.roles import StaffRole
from services.texts import format_datetime, t

if TYPE_CHECKING:
    from models.staff import Staff


async def team_page() -> None:
    staff = await staff_page()
    if staff is None:
        return
    with console_frame(t('staff.team.title'), staff, section='team'):
        if not roles.allows(staff, StaffRole.ADMIN):
            ui.label(t('staff.error.forbidden')).props('role=alert').mark('forbidden')
            return
        team = Team(staff)
        await team.show()


def _role_options() -> dict[str, str]:
    return {role.value: t(f'staff.role.{role.value}') for role in StaffRole}


def _heading(text: str) -> None:
    ui.label(text).classes('text-lg font-medium').props('role=heading aria-level=2')


class Team:
    """The add form, the place a new link shows once, and the list, which is built again after every action."""

    def __init__(self, staff: Staff) -> None:
        self.login = staff.login
        _heading(t('staff.team.add'))
        form = Form()
        login = form.add('login', ui.input(t('label.login'))).classes('w-full').props('autocomplete=off')
        login.props['hint'] = t('staff.hint.login')
        role = form.add('role', ui.select(_role_options(), value=StaffRole.VIEWER.value, label=t('staff.label.role')))
        role.classes('w-full').mark('new-role')
        button = ui.button(t('staff.button.add')).props('color=primary').mark('add-staff')

        async def add() -> None:
            added, link = await accounts.add_staff(login.value, role.value, by=await signed_in_staff())
            login.value = ''
            self.show_link(t('staff.team.added', login=added.login), link)
            await self.show()

        button.on_click(lambda: form.submit(button, add))
        self.issued = ui.column().classes('w-full')
        _heading(t('staff.team.list'))
        self.members = ui.column().classes('w-full gap-2')

    def show_link(self, text: str, link: str) -> None:
        """A new enrolment link: shown here once, never stored but as its digest."""
        self.issued.clear()
        with self.issued, ui.card().classes('w-full'):
            ui.label(text).props('role=status')
            ui.label(t('staff.team.link_once', hours=int(accounts.ENROL_TTL.total_seconds() // 3600)))
            ui.label(link).classes('font-mono break-all').mark('enrol-link')

    async def show(self) -> None:
        members = await accounts.list_staff(by=await signed_in_staff())
        self.members.clear()
        with self.members:
            for member in members:
                self._member(member)

    def _member(self, member: accounts.StaffMember) -> None:
        card = ui.card().classes('w-full').mark(f'member-{member.login}')
        with card, ui.row().classes('w-full items-center justify-between gap-2'):
            with ui.column().classes('gap-0'):
                ui.label(member.login).classes('font-medium')
                ui.label(_described(member)).classes('text-sm')
            if member.login == self.login:
                # no changing one's own role, disabling or resetting oneself (services/staff/accounts.py)
                ui.label(t('staff.team.you', role=t(f'staff.role.{member.role.value}')))
                return
            with ui.row().classes('items-center gap-2'):
                role = ui.select(_role_options(), value=member.role.value, label=t('staff.label.role'))
                role.classes('w-48').mark(f'role-{member.login}')
                role.on_value_change(lambda event, login=member.login: self._change_role(event.sender, login))
                if member.state != accounts.StaffState.DISABLED:
                    self._action(member.login, 'disable', self._disable)
                self._action(member.login, 'reissue', self._reissue)

    def _action(self, login: str, name: str, act: Callable[[str], Awaitable[None]]) -> None:
        button = ui.button(t(f'staff.button.{name}')).props('flat dense no-caps').mark(f'{name}-{login}')
        button.props['aria-label'] = t(f'staff.team.{name}_label', login=login)
        button.on_click(lambda: busy_while(button, lambda: act(login), notify_error))

    async def _change_role(self, select: ui.select, login: str) -> None:
        async def change() -> None:
            await accounts.change_role(await signed_in_staff(), login, select.value)
            ui.notify(t('staff.team.role_changed', login=login), type='positive')

        await busy_while(select, change, notify_error)
        await self.show()  # the list as stored: a refused change shows the role it kept

    async def _disable(self, login: str) -> None:
        if await confirmed(t('staff.team.disable_question', login=login), t('staff.button.disable')):
            await accounts.disable(await signed_in_staff(), login)
            ui.notify(t('staff.team.disabled', login=login), type='positive')
            await self.show()

    async def _reissue(self, login: str) -> None:
        if await confirmed(t('staff.team.reissue_question', login=login), t('staff.button.reissue')):
            link = await accounts.reissue_link(await signed_in_staff(), login)
            self.show_link(t('staff.team.reissued', login=login), link)
            await self.show()


def _described(member: accounts.StaffMember) -> str:
    state = t(f'staff.state.{member.state.value}')
    role = t(f'staff.role.{member.role.value}')
    if member.last_login_at is None:
        return t('staff.team.row', role=role, state=state)
    seen = format_datetime(clock.local(member.last_login_at))
    return t('staff.team.row_seen', role=role, state=state, seen=seen)
