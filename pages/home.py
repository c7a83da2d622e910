"""The start page (docs/product.md, flow 7): the overview of the current personal account (balance, last bill,
bills, payments), or the account link form while none is linked."""

from __future__ import annotations

from functools import partial

from nicegui import ui
from nicegui.events import ClickEventArguments

from pages.session import signed_in, signed_in_page
from pages.shell.frame import frame
from pages.widgets import TextItem, busy_while, link_form, notify_error
from services.accounts import overview
from services.texts import format_date, t


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
                ui.label(t('overview.last_bill', period=overview.period_label(bill.period))).classes('font-medium')
                ui.label(t('overview.amount_due', amount=overview.format_money(bill.amount_due)))
                ui.label(t('overview.due_date', date=format_date(bill.due_date)))
                _pdf_button(current.number, bill.period)
        _bills(current.number, summary)
        _payments(summary)


def _pdf_button(number: str, period: str) -> None:
    label = f'{t("button.download_pdf")} {overview.period_label(period)}'
    button = ui.button(t('button.download_pdf'), icon='download').props('flat dense').mark(f'pdf-{period}')
    button.props['aria-label'] = label
    # one module-level handler for every bill's button: no closures per button on a page that stays open for hours
    button.on_click(partial(_download, number, period))


async def _download(number: str, period: str, event: ClickEventArguments) -> None:
    async def download() -> None:
        cabinet = await signed_in()  # this tab's session, at click time
        filename, content = await overview.bill_pdf(cabinet.id, number, period)
        ui.download.content(content, filename, 'application/pdf')

    await busy_while(event.sender, download, notify_error)


def _bills(number: str, summary: overview.Overview) -> None:
    ui.label(t('overview.bills')).classes('text-lg font-medium').props('role=heading aria-level=2')
    if not summary.bills:
        ui.label(t('overview.no_bills'))
    with ui.list().props('separator').classes('w-full'):
        for bill in summary.bills:
            # the row's text is the item's own and the button sits beside it: two elements a bill, not four
            text = t(
                'overview.bill_row',
                period=overview.period_label(bill.period),
                amount=overview.format_money(bill.amount_due),
                date=format_date(bill.due_date),
            )
            with TextItem(text).classes('items-center justify-between'):
                _pdf_button(number, bill.period)


def _payments(summary: overview.Overview) -> None:
    ui.label(t('overview.payments')).classes('text-lg font-medium').props('role=heading aria-level=2')
    if not summary.payments:
        ui.label(t('overview.no_payments'))
    with ui.list().props('separator dense').classes('w-full'):
        for payment in summary.payments:
            date, amount = format_date(payment.date), overview.format_money(payment.amount)
            TextItem(t('overview.payment_row', date=date, amount=amount))
