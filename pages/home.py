"""The start page (docs/product.md, flow 7): the overview of the current personal account (balance, last bill,
bills, payments), or the account link form while none is linked."""

from __future__ import annotations

import logging
import re
from functools import partial

from markupsafe import Markup
from nicegui import ui
from nicegui.events import ClickEventArguments, GenericEventArguments

from pages.session import signed_in, signed_in_page
from pages.shell.frame import frame
from pages.widgets import busy_while, link_form, notify_error
from services.accounts import overview
from services.texts import format_date, t

log = logging.getLogger('portal.pages')


async def home_page() -> None:
    signed = await signed_in_page()
    if signed is None:
        return
    cabinet, accounts, current = signed
    if current is None:
        with frame(t('title.add_account'), cabinet, accounts, current, section='home'):
            ui.label(t('home.welcome', login=cabinet.login)).classes('text-sm')
            link_form()
        return
    summary = await overview.account_overview(cabinet.id, current.number)
    with frame(t('title.overview', number=current.number), cabinet, accounts, current, section='home'):
        ui.label(t('home.welcome', login=cabinet.login)).classes('text-sm')
        # billing data, in Russian whatever the page's language
        ui.label(f'{current.region.name}, {current.address}').classes('text-sm').props('lang=ru')
        ui.label(overview.balance_text(summary.balance)).classes('text-xl font-medium').mark('balance')
        if summary.last_bill is not None:
            bill = summary.last_bill
            with ui.card().classes('w-full').mark('last-bill'):
                # three lines of text, one element (see _history)
                ui.html(
                    Markup('<div class="font-medium">{}</div><div>{}</div><div>{}</div>').format(
                        t('overview.last_bill', period=overview.period_label(bill.period)),
                        t('overview.amount_due', amount=overview.format_money(bill.amount_due)),
                        t('overview.due_date', date=format_date(bill.due_date)),
                    )
                ).classes('column gap-1')
                _pdf_button(current.number, bill.period)
        _history(current.number, summary)


def _pdf_button(number: str, period: str) -> None:
    label = f'{t("button.download_pdf")} {overview.period_label(period)}'
    button = ui.button(t('button.download_pdf'), icon='download').props('flat dense').mark(f'pdf-{period}')
    button.props['aria-label'] = label
    # one module-level handler for every bill's button: no closures per button on a page that stays open for hours
    button.on_click(partial(_download, number, period))


async def _download(number: str, period: str, event: ClickEventArguments | GenericEventArguments) -> None:
    async def download() -> None:
        cabinet = await signed_in()  # this tab's session, at click time
        filename, content = await overview.bill_pdf(cabinet.id, number, period)
        ui.download.content(content, filename, 'application/pdf')

    await busy_while(event.sender, download, notify_error)


#: the «PDF» buttons of the history are plain HTML in one element; a click sends the bill's period
_HISTORY_CLICK = "(e) => { const b = e.target.closest('button[data-period]'); if (b) emit(b.dataset.period); }"
_PERIOD = re.compile(r'\d{4}-\d{2}')
_PDF_BUTTON = Markup(
    '<button type="button" data-period="{period}" aria-label="{label}" class="q-btn q-btn-item non-selectable '
    'no-outline q-btn--flat q-btn--rectangle q-btn--actionable q-focusable q-hoverable q-btn--dense text-primary">'
    '<span class="q-focus-helper"></span><span class="q-btn__content text-center col items-center q-anchor--skip '
    'justify-center row"><i class="q-icon notranslate material-icons on-left" aria-hidden="true">download</i>'
    '<span class="block">{text}</span></span></button>'
)


def _history(number: str, summary: overview.Overview) -> None:
    """The 12 months of bills and payments as one element of HTML, every value escaped: as NiceGUI elements, a row
    and its button cost the server ~5 KiB each for as long as the page is open, and this is most of the page
    (bench/page_objects.py). The buttons are real <button>s; one listener on the element takes their clicks."""
    parts = [_heading(t('overview.bills'))]
    if not summary.bills:
        parts.append(Markup('<p>{}</p>').format(t('overview.no_bills')))
    rows = []
    for bill in summary.bills:
        period = overview.period_label(bill.period)
        text = t(
            'overview.bill_row',
            period=period,
            amount=overview.format_money(bill.amount_due),
            date=format_date(bill.due_date),
        )
        button = _PDF_BUTTON.format(
            period=bill.period, label=f'{t("button.download_pdf")} {period}', text=t('button.download_pdf')
        )
        rows.append(
            Markup('<li class="q-item q-item-type row no-wrap items-center justify-between">{}{}</li>').format(
                text, button
            )
        )
    parts.append(_rows(rows, 'q-list--separator'))
    parts.append(_heading(t('overview.payments')))
    if not summary.payments:
        parts.append(Markup('<p>{}</p>').format(t('overview.no_payments')))
    parts.append(
        _rows(
            [
                Markup('<li class="q-item q-item-type row no-wrap q-item--dense">{}</li>').format(
                    t(
                        'overview.payment_row',
                        date=format_date(payment.date),
                        amount=overview.format_money(payment.amount),
                    )
                )
                for payment in summary.payments
            ],
            'q-list--separator q-list--dense',
        )
    )
    history = ui.html(Markup('').join(parts)).classes('w-full column gap-2').mark('history')
    history.on('click', partial(_download_from_history, number), js_handler=_HISTORY_CLICK)


def _heading(text: str) -> Markup:
    return Markup('<h2 class="text-lg font-medium">{}</h2>').format(text)


def _rows(rows: list[Markup], classes: str) -> Markup:
    return Markup('<ul class="q-list {} w-full">{}</ul>').format(classes, Markup('').join(rows)) if rows else Markup()


async def _download_from_history(number: str, event: GenericEventArguments) -> None:
    period = event.args
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
        log.warning('a bill PDF asked for with a period that is not one: %.40r', period)
        return
    await _download(number, period, event)
