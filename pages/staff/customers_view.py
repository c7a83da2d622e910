"""A customer's cabinet in the console: its state and lockout, contacts (masked for viewers), linked accounts with
their proof, sessions, e-bills and bounces, consents, security events and the messages sent to it (never their text).

Operators and admins get the help actions (unlock, end sessions, resend the confirmation, unlink an account with a
reason, turn an e-bill off), admins the personal-data requests (a JSON export, an erasure confirmed by typing the
login). Viewers see no action; the services check the role again whatever a crafted event asks."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from nicegui import ui
from nicegui.events import GenericEventArguments

from pages.session import signed_in_staff
from pages.staff.frame import console_frame, staff_page
from pages.widgets import Form, busy_while, notify_error
from services import clock
from services.errors import InvalidInput
from services.staff import roles
from services.staff.customers import cabinet_view, help_actions, personal_data
from services.staff.customers.cabinet_view import CabinetView
from services.staff.customers.lookup import CabinetGone
from services.staff.inputs import whole_number
from services.staff.roles import StaffRole
from services.texts import format_datetime, t, tn

if TYPE_CHECKING:
    from models.staff import Staff
    from services.identity.cabinets import CabinetEvent

log = logging.getLogger('portal.pages')


async def cabinet_page(cabinet_id: str) -> None:
    staff = await staff_page()
    if staff is None:
        return
    try:
        view = await cabinet_view.cabinet_view(staff, whole_number('id', cabinet_id))
    except (InvalidInput, CabinetGone):
        view = None
    title = t('staff.customers.cabinet', login=view.login) if view else t('staff.customers.cabinet_gone')
    with console_frame(title, staff, section='customers') as body:
        ui.link(t('staff.customers.back'), '/staff/customers').mark('back')
        if view is None:
            ui.label(t('staff.customers.error.not_found')).props('role=alert').mark('gone')
            return
        CabinetScreen(staff, body, view).show(view)


def _when(moment: datetime | None) -> str:
    return format_datetime(clock.local(moment)) if moment else '—'


def _heading(text: str) -> Markup:
    return Markup('<h2 class="text-lg font-medium q-mt-md">{}</h2>').format(text)


def _list(rows: Iterable[Markup]) -> Markup:
    items = Markup('').join(rows)
    if not items:
        return Markup('<p>{}</p>').format(t('staff.customers.none'))
    return Markup('<ul class="q-list q-list--separator w-full">{}</ul>').format(items)


_ROW = Markup('<li class="q-item q-item-type column items-start gap-1 q-py-sm break-all">{}</li>')
_ROW_WITH_ACTION = Markup(
    '<li class="q-item q-item-type row items-center justify-between gap-2 q-py-sm">'
    '<span class="column gap-1 break-all">{}</span>{}</li>'
)
#: a real <button> inside the section's one element; the section's listener takes its data-value
_BUTTON = Markup(
    '<button type="button" data-value="{value}" aria-label="{label}" class="q-btn q-btn-item non-selectable '
    'no-outline q-btn--flat q-btn--rectangle q-btn--actionable q-focusable q-hoverable q-btn--dense '
    'q-btn--no-uppercase text-primary"><span class="q-focus-helper"></span>'
    '<span class="q-btn__content text-center col items-center q-anchor--skip justify-center row">'
    '<span class="block">{text}</span></span></button>'
)
_CLICK = "(e) => { const b = e.target.closest('button[data-value]'); if (b) emit(b.dataset.value); }"


def _lines(*lines: str) -> Markup:
    return Markup('').join(Markup('<span>{}</span>').format(line) for line in lines if line)


def _row(lines: Markup, button: Markup | None = None) -> Markup:
    return _ROW_WITH_ACTION.format(lines, button) if button else _ROW.format(lines)


class CabinetScreen:
    """The view as last read from the service, built again after every action; the rows' buttons are checked against
    it, so a crafted event can only name what the page shows."""

    def __init__(self, staff: Staff, body: ui.column, view: CabinetView) -> None:
        self.cabinet_id = view.cabinet_id
        self.acts = roles.allows(staff, StaffRole.OPERATOR)
        self.admin = roles.allows(staff, StaffRole.ADMIN)
        #: dialogs go beside the content, which an action builds again while its dialog is still open
        self.body = body
        with body:
            self.content = ui.column().classes('w-full gap-2')
        self.view = view

    async def refresh(self) -> None:
        try:
            view = await cabinet_view.cabinet_view(await signed_in_staff(), self.cabinet_id)
        except CabinetGone as gone:
            self.content.clear()
            with self.content:
                ui.label(gone.message).props('role=alert').mark('gone')
            return
        self.show(view)

    def show(self, view: CabinetView) -> None:
        self.view = view
        self.content.clear()
        with self.content:
            self._summary(view)
            if self.acts:
                self._actions(view)
            self._section('accounts', 'staff.customers.accounts', map(self._account, view.accounts), self._ask_unlink)
            self._section('sessions', 'staff.customers.sessions', map(self._session, view.sessions), self._end)
            self._section('ebills', 'staff.customers.ebills', map(self._ebill, view.ebills), self._turn_off)
            self._section('consents', 'staff.customers.consents', map(_consent, view.consents))
            self._section('events', 'staff.customers.events', map(_event, view.events))
            self._section('messages', 'staff.customers.messages', map(_message, view.messages))

    # ---- what the cabinet is --------------------------------------------------------------------------------

    def _summary(self, view: CabinetView) -> None:
        state = t(f'staff.customers.state.{view.state}')
        if view.lockout_left.total_seconds() > 0:
            minutes = math.ceil(view.lockout_left.total_seconds() / 60)
            state = f'{state}; {tn("staff.customers.locked_left", minutes)}'
        elif view.pending_until is not None:
            state = f'{state}; {t("staff.customers.pending_until", at=_when(view.pending_until))}'
        lines = [
            t('staff.customers.state_line', state=state),
            _contact('staff.customers.email', view.email, view.email_confirmed),
            _contact('staff.customers.phone', view.phone, view.phone_confirmed),
            t('staff.customers.surname', surname=view.surname or '—'),
            t('staff.customers.language', language=t(f'staff.customers.language.{view.language or "none"}')),
            t('staff.customers.created', at=_when(view.created_at), changed=_when(view.password_changed_at)),
        ]
        summary = Markup('<div class="column gap-1">{}</div>').format(_lines(*lines))
        ui.html(summary).classes('w-full').mark('summary')
        if view.contacts_masked:
            ui.label(t('staff.customers.masked')).classes('text-sm').mark('masked')

    def _section(
        self,
        name: str,
        heading: str,
        rows: Iterable[Markup],
        act: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        section = ui.html(_heading(t(heading)) + _list(rows)).classes('w-full').mark(name)
        if act is not None and self.acts:
            section.on('click', lambda event: self._row_clicked(event, name, act), js_handler=_CLICK)

    async def _row_clicked(
        self, event: GenericEventArguments, name: str, act: Callable[[str], Awaitable[None]]
    ) -> None:
        value = event.args
        if not isinstance(value, str) or value not in self._values(name):
            log.warning(
                'a console click on %s of cabinet %s named nothing the page shows: %.40r', name, self.cabinet_id, value
            )
            return
        await busy_while(event.sender, lambda: act(value), notify_error)

    def _values(self, name: str) -> set[str]:
        """What the section's buttons may send: the rows the page shows that have a button."""
        view = self.view
        if name == 'accounts':
            return {account.number for account in view.accounts}
        if name == 'sessions':
            return {session.ref for session in view.sessions if session.live}
        return {ebill.number for ebill in view.ebills if ebill.enabled and ebill.managed_here}

    def _button(self, value: str, text: str, label: str) -> Markup | None:
        return _BUTTON.format(value=value, text=text, label=label) if self.acts else None

    def _account(self, account: cabinet_view.LinkedAccount) -> Markup:
        lines = _lines(
            t('staff.customers.account_row', number=account.number, region=account.region),
            t(
                'staff.customers.account_proof',
                proof=t(f'staff.customers.proof.{account.proof}'),
                at=_when(account.linked_at),
            ),
        )
        label = t('staff.customers.unlink_label', number=account.number)
        return _row(lines, self._button(account.number, t('staff.customers.unlink'), label))

    def _session(self, session: cabinet_view.SessionRow) -> Markup:
        state = t('staff.customers.session_live' if session.live else 'staff.customers.session_over')
        lines = _lines(
            t('staff.customers.session_row', created=_when(session.created_at), seen=_when(session.last_seen_at)),
            t('staff.customers.session_ip', ip=session.ip or '—', state=state),
        )
        label = t('staff.customers.end_session_label', created=_when(session.created_at))
        button = self._button(session.ref, t('staff.customers.end_session'), label) if session.live else None
        return _row(lines, button)

    def _ebill(self, ebill: cabinet_view.EBillRow) -> Markup:
        state = t('staff.customers.ebill_on' if ebill.enabled else 'staff.customers.ebill_off_state')
        confirmed = t('staff.customers.confirmed' if ebill.confirmed else 'staff.customers.unconfirmed')
        lines = _lines(
            t('staff.customers.ebill_row', number=ebill.number, state=state),
            t('staff.customers.ebill_email', email=ebill.email or '—', confirmed=confirmed),
            t('staff.customers.ebill_here') if ebill.managed_here else t('staff.customers.ebill_elsewhere'),
            tn('staff.customers.ebill_bounces', ebill.bounces),
            t('staff.customers.ebill_last_bounce', reason=ebill.last_bounce) if ebill.last_bounce else '',
            t('staff.customers.ebill_consent', version=ebill.consent_version or '—', at=_when(ebill.updated_at)),
        )
        button = None
        if ebill.enabled and ebill.managed_here:
            label = t('staff.customers.turn_off_label', number=ebill.number)
            button = self._button(ebill.number, t('staff.customers.turn_off'), label)
        return _row(lines, button)

    # ---- what operators and admins do -----------------------------------------------------------------------

    def _actions(self, view: CabinetView) -> None:
        with ui.row().classes('w-full items-center gap-2').mark('actions'):
            if view.locked:
                self._action('unlock', self._unlock, icon='lock_open')
            if view.email and not view.email_confirmed:
                self._action('resend', self._resend, icon='forward_to_inbox')
            if any(session.live for session in view.sessions):
                self._action('end_all', self._end_all, icon='logout')
            if self.admin:
                self._action('export', self._export, icon='download')
                self._action('erase', self._ask_erase, icon='delete_forever', color='negative')

    def _action(self, name: str, act: Callable[[], Awaitable[None]], *, icon: str, color: str = 'primary') -> None:
        button = ui.button(t(f'staff.customers.{name}'), icon=icon, color=color).props('outline no-caps')
        button.mark(name)
        button.on_click(lambda: busy_while(button, act, notify_error))

    async def _done(self, text: str) -> None:
        ui.notify(text, type='positive')
        await self.refresh()

    async def _unlock(self) -> None:
        await help_actions.unlock(await signed_in_staff(), self.cabinet_id)
        await self._done(t('staff.customers.unlocked'))

    async def _resend(self) -> None:
        await help_actions.resend_confirmation(await signed_in_staff(), self.cabinet_id)
        await self._done(t('staff.customers.resent'))

    async def _end_all(self) -> None:
        await help_actions.end_all_sessions(await signed_in_staff(), self.cabinet_id)
        await self._done(t('staff.customers.ended_all'))

    async def _end(self, ref: str) -> None:
        ended = await help_actions.end_session(await signed_in_staff(), self.cabinet_id, ref)
        await self._done(t('staff.customers.ended' if ended else 'staff.customers.already_ended'))

    async def _turn_off(self, number: str) -> None:
        turned = await help_actions.turn_off_ebill(await signed_in_staff(), self.cabinet_id, number)
        await self._done(
            t('staff.customers.ebill_turned_off' if turned else 'staff.customers.ebill_was_off', number=number)
        )

    async def _ask_unlink(self, number: str) -> None:
        async def unlink(values: dict[str, Any]) -> None:
            await help_actions.unlink_account(await signed_in_staff(), self.cabinet_id, number, values['reason'])
            await self._done(t('staff.customers.unlinked', number=number))

        await _dialog(
            self.body,
            t('staff.customers.unlink_question', number=number),
            t('staff.customers.unlink'),
            {'reason': t('staff.customers.reason')},
            unlink,
            mark='unlink-dialog',
        )

    async def _export(self) -> None:
        data = await personal_data.export_cabinet(await signed_in_staff(), self.cabinet_id)
        content = json.dumps(data, ensure_ascii=False, indent=2).encode()
        ui.download.content(content, f'cabinet-{self.cabinet_id}.json', 'application/json')
        ui.notify(t('staff.customers.exported'), type='positive')

    async def _ask_erase(self) -> None:
        login = self.view.login

        async def erase(values: dict[str, Any]) -> None:
            # the typed login proves the admin means this cabinet (a wrong tab, a slip of the mouse)
            if values['confirm'] != login:
                raise InvalidInput({'confirm': t('staff.customers.erase_mismatch', login=login)})
            alias = await personal_data.erase_cabinet(await signed_in_staff(), self.cabinet_id, values['reason'])
            self.content.clear()
            with self.content:
                ui.label(t('staff.customers.erased', alias=alias)).props('role=status').mark('erased')

        await _dialog(
            self.body,
            t('staff.customers.erase_question', login=login),
            t('staff.customers.erase'),
            {'confirm': t('staff.customers.erase_login'), 'reason': t('staff.customers.reason')},
            erase,
            mark='erase-dialog',
            note=t('staff.customers.erase_rules'),
        )


async def _dialog(
    parent: ui.element,
    question: str,
    action: str,
    fields: dict[str, str],
    act: Callable[[dict[str, Any]], Awaitable[None]],
    *,
    mark: str,
    note: str = '',
) -> None:
    """A dialog with `fields` (name → label) and a button that runs `act` with their values; its errors show at the
    fields, and it closes once `act` succeeds."""
    with parent, ui.dialog() as dialog, ui.card().classes('w-full max-w-lg').mark(mark):
        text = ui.label(question).classes('font-medium')
        dialog.props['aria-labelledby'] = text.html_id
        if note:
            ui.label(note).classes('text-sm')
        form = Form()
        inputs = {
            name: form.add(name, ui.input(label)).classes('w-full').props('autocomplete=off')
            for name, label in fields.items()
        }
        with ui.row().classes('w-full justify-end'):
            ui.button(t('button.cancel'), on_click=dialog.close).props('flat no-caps')
            button = ui.button(action, color='negative').props('no-caps').mark('confirm')

    async def submit() -> None:
        await act({name: element.value or '' for name, element in inputs.items()})
        dialog.close()

    button.on_click(lambda: form.submit(button, submit))
    dialog.on('hide', dialog.delete)
    dialog.open()


def _contact(key: str, value: str | None, confirmed: bool) -> str:
    if not value:
        return t(key, value=t('staff.customers.none'))
    state = t('staff.customers.confirmed' if confirmed else 'staff.customers.unconfirmed')
    return t(key, value=f'{value} ({state})')


def _consent(consent: cabinet_view.ConsentRow) -> Markup:
    return _row(
        _lines(
            t(f'staff.customers.consent.{consent.kind}'),
            t(
                'staff.customers.consent_row',
                version=consent.text_version,
                at=_when(consent.given_at),
                ip=consent.ip or '—',
            ),
        )
    )


def _event_name(event: str) -> str:
    """The event's label where the catalog has one (the console's own), else its name as the audit log stores it."""
    try:
        return t(f'staff.customers.event.{event}')
    except KeyError:
        return event


def _event(event: CabinetEvent) -> Markup:
    detail = ', '.join(f'{key}: {value}' for key, value in event.detail.items())
    by = t('staff.customers.by_staff', id=event.staff_id) if event.staff_id is not None else ''
    return _row(
        _lines(
            t('staff.customers.event_row', at=_when(event.at), event=_event_name(event.event), ip=event.ip or '—'),
            by,
            detail,
        )
    )


def _message(message: cabinet_view.MessageRow) -> Markup:
    state = t(f'staff.customers.message.{message.state}')
    return _row(
        _lines(
            t(
                'staff.customers.message_row',
                at=_when(message.created_at),
                channel=t(f'staff.customers.channel.{message.channel}'),
                recipient=message.recipient,
            ),
            message.subject,
            t('staff.customers.message_state', state=state, attempts=message.attempts, sent=_when(message.sent_at)),
            t('staff.customers.message_error', error=message.last_error) if message.last_error else '',
        )
    )
