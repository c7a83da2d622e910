"""Screens. `bind_pages()` binds them to their paths; page modules build UI and call services, nothing else."""

from nicegui import ui

from pages.accounts import add_account_page, home_page
from pages.confirm import confirm_page, forgot_page, reset_page
from pages.demo_mail import demo_mail_page
from pages.login import login_page
from pages.register import first_entry_page, register_page
from pages.settings import ebill_confirm_page, email_change_page, settings_page

#: paths anyone may open; the session middleware sends everything else to /login
PUBLIC_PATHS = {
    '/login',
    '/register',
    '/first-entry',
    '/confirm',
    '/reset',
    '/forgot',
    '/email-change',
    '/ebill-confirm',
    '/demo/mail',
}


def bind_pages() -> None:
    ui.page('/')(home_page)
    ui.page('/accounts/add')(add_account_page)
    ui.page('/settings')(settings_page)
    ui.page('/login')(login_page)
    ui.page('/register')(register_page)
    ui.page('/first-entry')(first_entry_page)
    ui.page('/confirm')(confirm_page)
    ui.page('/email-change')(email_change_page)
    ui.page('/ebill-confirm')(ebill_confirm_page)
    ui.page('/reset')(reset_page)
    ui.page('/forgot')(forgot_page)
    ui.page('/demo/mail')(demo_mail_page)
