"""The start page (overview of the current personal account) and linking an account (seed 000)."""

from __future__ import annotations

from nicegui import ui

from models.billing import Account
from models.cabinet import Cabinet
from pages.common import (
    Form,
    busy_while,
    choose_account,
    client_ip,
    current_cabinet,
    notify_error,
    remember_account,
    signed_in,
)
from pages.layout import frame
from services import linking, overview
from services.texts import format_date, t


async def signed_in_page() -> tuple[Cabinet, list[Account], Account | None] | None:
    cabinet = await current_cabinet()
    if cabinet is None:
        ui.navigate.to('/login')
        return None
    accounts = await linking.linked_accounts(cabinet.id)
    return cabinet, accounts, choose_account(accounts)


def link_form() -> None:
    """«Номер лицевого счёта» + «Подтверждение» → «Добавить»; the new account shows at once."""
    ui.label(t('hint.add_account')).classes('text-sm')
    form = Form()
    number = form.add('account', ui.input(t('label.account_number'))).props('inputmode=numeric')
    number.classes('w-full')
    proof = form.add('proof', ui.input(t('label.proof'))).props(f'hint="{t("hint.proof")}"').classes('w-full')
    button = ui.button(t('button.add')).classes('w-full').props('color=primary')

    async def add() -> None:
        account = await linking.link_account(await signed_in(), number.value, proof.value, ip=client_ip())
        remember_account(account.number)
        ui.notify(t('done.linked', number=account.number), type='positive')
        ui.navigate.to('/')

    button.on_click(lambda: form.submit(button, add))


async def home_page() -> None:
    signed = await signed_in_page()
    if signed is None:
        return
    cabinet, accounts, current = signed
    if current is None:
        with frame(t('title.add_account'), cabinet, accounts, current):
            ui.label(t('home.welcome', login=cabinet.login)).classes('text-sm')
            link_form()
        return
    summary = await overview.account_overview(cabinet.id, current.number)
    with frame(t('title.overview', number=current.number), cabinet, accounts, current):
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
                _pdf_button(cabinet, current.number, bill.period)
        _bills(cabinet, current.number, summary)
        _payments(summary)


def _pdf_button(cabinet: Cabinet, number: str, period: str) -> None:
    async def download() -> None:
        await signed_in()
        filename, content = await overview.bill_pdf(cabinet.id, number, period)
        ui.download.content(content, filename, 'application/pdf')

    label = f'{t("button.download_pdf")} {overview.period_label(period)}'
    button = ui.button(t('button.download_pdf'), icon='download')
    button.props(f'flat dense aria-label="{label}"').mark(f'pdf-{period}')
    button.on_click(lambda: busy_while(button, download, notify_error))


def _bills(cabinet: Cabinet, number: str, summary: overview.Overview) -> None:
    ui.label(t('overview.bills')).classes('text-lg font-medium').props('role=heading aria-level=2')
    if not summary.bills:
        ui.label(t('overview.no_bills'))
    with ui.list().props('separator').classes('w-full'):
        for bill in summary.bills:
            with ui.item(), ui.row().classes('w-full items-center justify-between no-wrap'):
                ui.label(
                    t(
                        'overview.bill_row',
                        period=overview.period_label(bill.period),
                        amount=overview.format_money(bill.amount_due),
                        date=format_date(bill.due_date),
                    )
                )
                _pdf_button(cabinet, number, bill.period)


def _payments(summary: overview.Overview) -> None:
    ui.label(t('overview.payments')).classes('text-lg font-medium').props('role=heading aria-level=2')
    if not summary.payments:
        ui.label(t('overview.no_payments'))
    with ui.list().props('separator dense').classes('w-full'):
        for payment in summary.payments:
            with ui.item():
                ui.label(
                    t(
                        'overview.payment_row',
                        date=format_date(payment.date),
                        amount=overview.format_money(payment.amount),
                    )
                )


async def add_account_page() -> None:
    signed = await signed_in_page()
    if signed is None:
        return
    with frame(t('title.add_account'), *signed):
        link_form()
