"""«Рассылки»: the outbox as `outbox status` shows it (counts by channel and state, the oldest message waiting, the
latest failures with their reasons; recipients masked, never a text), a failed message sent again, one or all
(operators and admins); and the month's e-bill dispatch as `bills-status` shows it, started by an admin, with a
progress bar while it goes."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from markupsafe import Markup
from nicegui import ui

from pages.session import current_staff, signed_in_staff
from pages.staff.frame import console_frame, staff_page
from pages.widgets import Form, busy_while, confirmed, notify_error
from services import clock
from services.billing.periods import previous_period
from services.errors import NotAllowed, PortalError
from services.messaging.outbox.status import CHANNELS, STATES, ListedMessage
from services.staff import dispatch, outbox, roles
from services.staff.dispatch import DispatchOverview, DispatchProgress
from services.staff.roles import StaffRole
from services.texts import format_datetime, period_in_sentence, t

if TYPE_CHECKING:
    from models.outbox import OutboxState
    from models.staff import Staff

#: how often the page asks how a dispatch goes while one is going
POLL_SECONDS = 1.5


async def outbox_page() -> None:
    staff = await staff_page()
    if staff is None:
        return
    with console_frame(t('staff.outbox.title'), staff, section='outbox'):
        messages = Messages(staff)
        await messages.show()
        bills = Dispatch(staff)
        await bills.show()


def _heading(text: str) -> None:
    ui.label(text).classes('text-lg font-medium').props('role=heading aria-level=2')


def _when(moment: datetime) -> str:
    return format_datetime(clock.local(moment))


class Messages:
    """The outbox's counts, its oldest message waiting and its failures; built again after every retry."""

    def __init__(self, staff: Staff) -> None:
        #: what the page shows is what this role may do; the services check the role again at every click
        self.may_retry = roles.allows(staff, StaffRole.OPERATOR)
        _heading(t('staff.outbox.messages'))
        self.body = ui.column().classes('w-full gap-2')

    async def show(self) -> None:
        board = await outbox.outbox_dashboard(await signed_in_staff())
        self.body.clear()
        with self.body:
            ui.html(_counts(board.status.counts)).classes('w-full').mark('outbox-counts')
            ui.label(_oldest(board.status.oldest_pending, board.oldest_waiting)).mark('outbox-oldest')
            with ui.row().classes('w-full items-center gap-2'):
                ui.label(t('staff.outbox.failed', failed=board.failed, resendable=board.resendable))
                if self.may_retry and board.resendable:
                    again = ui.button(t('staff.outbox.retry_all')).props('outline').mark('retry-all')
                    again.on_click(lambda: self._after(busy_while(again, self._retry_all, notify_error)))
            if board.status.recent_failed:
                _heading(t('staff.outbox.recent_failed', count=len(board.status.recent_failed)))
                for message in board.status.recent_failed:
                    self._failure(message)

    def _failure(self, message: ListedMessage) -> None:
        card = ui.card().classes('w-full').mark(f'failed-{message.id}')
        with card, ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
            # what an operator acts on: which message, to whom, and why it failed; never its text
            ui.html(
                Markup('<div class="font-medium">{}</div><div class="text-sm break-all">{}</div>').format(
                    t(
                        'staff.outbox.failure',
                        id=message.id,
                        channel=t(f'staff.outbox.channel.{message.channel}'),
                        recipient=message.recipient,
                        created=_when(message.created_at),
                        attempts=message.attempts,
                    ),
                    t('staff.outbox.reason', reason=message.last_error or '—'),
                )
            ).mark(f'failure-{message.id}')
            if self.may_retry:
                button = ui.button(t('staff.outbox.retry')).props('flat no-caps').mark(f'retry-{message.id}')
                button.props['aria-label'] = t('staff.outbox.retry_label', id=message.id)
                button.on_click(lambda: self._after(busy_while(button, lambda: self._retry(message.id), notify_error)))

    async def _after(self, click: Awaitable[None]) -> None:
        """A retry's click, then the list built anew (once its button is done with: the list holds it): as stored
        now, whether it worked or another operator was first."""
        await click
        try:
            await self.show()
        except PortalError as error:  # the session ended meanwhile: off to the login, and say why
            notify_error(error)

    async def _retry(self, message_id: int) -> None:
        await outbox.retry_message(await signed_in_staff(), message_id)
        ui.notify(t('staff.outbox.retried', id=message_id), type='positive')

    async def _retry_all(self) -> None:
        done = await outbox.retry_all_failed(await signed_in_staff())
        ui.notify(t('staff.outbox.retried_all', retried=done.retried, left=done.left), type='positive')


def _counts(counts: Mapping[tuple[str, OutboxState], int]) -> Markup:
    """Messages per channel (rows) and state (columns), as a small table."""
    head = Markup('').join(Markup('<th scope="col">{}</th>').format(t(f'staff.outbox.state.{s.value}')) for s in STATES)
    rows = Markup('').join(
        Markup('<tr><th scope="row">{}</th>{}</tr>').format(
            t(f'staff.outbox.channel.{channel}'),
            Markup('').join(Markup('<td>{}</td>').format(counts.get((channel, state), 0)) for state in STATES),
        )
        for channel in CHANNELS
    )
    # a phone scrolls the table, not the page (the keyboard reaches it: tabindex)
    return Markup(
        '<div class="overflow-x-auto" tabindex="0" role="region" aria-label="{}">'
        '<table class="q-table q-table--dense text-left"><thead><tr><td></td>{}</tr></thead><tbody>{}</tbody></table>'
        '</div>'
    ).format(t('staff.outbox.counts'), head, rows)


def _oldest(message: ListedMessage | None, waited: timedelta | None) -> str:
    if message is None or waited is None:
        return t('staff.outbox.none_waiting')
    minutes = max(int(waited.total_seconds() // 60), 0)
    return t(
        'staff.outbox.oldest',
        id=message.id,
        channel=t(f'staff.outbox.channel.{message.channel}'),
        recipient=message.recipient,
        age=t('staff.outbox.age', hours=minutes // 60, minutes=minutes % 60),
    )


class Dispatch:
    """The e-bill dispatch of a period (the previous month unless another is asked for, as the server's monthly run
    picks it): its run, its bills by state, what a run would still queue, the failures; «Запустить» for admins and a
    progress bar polled while a run goes."""

    def __init__(self, staff: Staff) -> None:
        self.may_start = roles.allows(staff, StaffRole.ADMIN)
        self.period = previous_period(clock.today())
        _heading(t('staff.dispatch.title'))
        self.form = Form()
        with ui.row().classes('items-start gap-2'):
            period = self.form.add('period', ui.input(t('staff.dispatch.period'), value=self.period)).classes('w-48')
            period.props['hint'] = t('staff.dispatch.period_hint')
            button = ui.button(t('staff.dispatch.show')).props('outline').mark('dispatch-show')
            button.on_click(lambda: self.form.submit(button, lambda: self.show(period.value)))
        self.body = ui.column().classes('w-full gap-2')
        # deleted with the page when its tab closes, so no poll outlives it
        self.timer = ui.timer(POLL_SECONDS, self._poll, active=False)

    async def show(self, period: object = None) -> None:
        """The period asked for (checked by the service: its error shows at the field), or the one shown."""
        overview = await dispatch.dispatch_status(await signed_in_staff(), self.period if period is None else period)
        self._show(overview)

    def _show(self, overview: DispatchOverview) -> None:
        self.period = overview.progress.period
        self.body.clear()
        with self.body:
            self._overview(overview)
        self._follow(overview.progress)

    def _overview(self, overview: DispatchOverview) -> None:
        period = period_in_sentence(self.period)
        ui.label(t('staff.dispatch.of', period=period, code=self.period)).classes('font-medium').mark('dispatch-period')
        self.state = ui.label().mark('dispatch-state')
        self.deliveries = ui.label().mark('dispatch-deliveries')
        self.bar = ui.linear_progress(value=0, show_value=False, size='12px').classes('w-full')
        self.bar.props['aria-label'] = t('staff.dispatch.progress_label', period=period)
        plan = self.plan = overview.plan
        if plan.queued:
            ui.label(t('staff.dispatch.unqueued', count=plan.queued)).mark('dispatch-plan')
        ui.label(
            t('staff.dispatch.skipped', no_bill=plan.no_bill, unconfirmed=plan.unconfirmed, disabled=plan.disabled)
        ).classes('text-sm')
        if overview.failures:
            ui.html(_failures(overview.failures)).classes('w-full').mark('dispatch-failures')
        if self.may_start and plan.queued:
            self.start = ui.button(t('staff.dispatch.start', period=period)).props('color=primary')
            self.start.mark('dispatch-start')
            self.start.on_click(lambda: busy_while(self.start, self._start, notify_error))
        self._progress(overview.progress)

    def _progress(self, progress: DispatchProgress) -> None:
        run, deliveries = progress.run, progress.deliveries
        if run is None:
            self.state.text = t('staff.dispatch.not_run')
        elif run.state == 'finished':
            finished = _when(run.finished_at) if run.finished_at else ''
            self.state.text = t('staff.dispatch.finished', at=finished, queued=run.queued or 0)
        elif progress.queueing is not None:
            done, total = progress.queueing
            self.state.text = t('staff.dispatch.queueing', done=done, total=total)
        else:
            self.state.text = t(f'staff.dispatch.state.{run.state}', at=_when(run.started_at))
        self.deliveries.text = t(
            'staff.dispatch.deliveries',
            total=deliveries.total,
            sent=deliveries.sent,
            failed=deliveries.failed,
            open=deliveries.open,
        )
        if progress.queueing is not None and progress.queueing[1]:
            self.bar.value = progress.queueing[0] / progress.queueing[1]
        elif deliveries.total:
            self.bar.value = (deliveries.sent + deliveries.failed) / deliveries.total
        else:
            self.bar.value = 0
        self.bar.props['aria-valuetext'] = self.deliveries.text

    def _follow(self, progress: DispatchProgress) -> None:
        """Poll while the period's bills are being queued or delivered; stop when they are all settled."""
        self.timer.active = _going(progress)

    async def _poll(self) -> None:
        # the session and role read again at every tick without counting as activity: a logout, a disable or a
        # lower role stops the poll, and an open tab does not keep an idle session alive
        staff = await current_staff(touch=False)
        try:
            if staff is None:
                raise NotAllowed(t('error.session_expired'))
            progress = await dispatch.dispatch_progress(staff, self.period)
        except PortalError:
            self.timer.active = False
            return
        self._progress(progress)
        if not _going(progress):
            self.timer.active = False
            self._show(await dispatch.dispatch_status(staff, self.period))  # the plan and failures as they ended

    async def _start(self) -> None:
        period = period_in_sentence(self.period)
        question = t('staff.dispatch.start_question', period=period, count=self.plan.queued)
        if not await confirmed(question, t('staff.dispatch.start_button'), color='primary'):
            return
        progress = await dispatch.start_dispatch(await signed_in_staff(), self.period)
        ui.notify(t('staff.dispatch.started', period=period), type='positive')
        self.start.set_visibility(False)
        self._progress(progress)
        self.timer.active = True


def _going(progress: DispatchProgress) -> bool:
    running = progress.run is not None and progress.run.state == 'running'
    return running or progress.queueing is not None or progress.deliveries.open > 0


def _failures(failures: list[tuple[str, str, str]]) -> Markup:
    rows = Markup('').join(
        Markup('<li class="q-item q-item-type break-all">{}</li>').format(
            t('staff.dispatch.failure', number=number, email=email, reason=reason)
        )
        for number, email, reason in failures
    )
    return Markup('<h3 class="text-base font-medium">{}</h3><ul class="q-list q-list--dense">{}</ul>').format(
        t('staff.dispatch.failures', count=len(failures)), rows
    )
