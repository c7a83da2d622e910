"""Screens. `bind_pages()` binds them to their paths; page modules build UI and call services, nothing else."""

from pages.accessibility import bind_accessibility
from pages.accounts import add_account_page, home_page
from pages.confirm import confirm_page, forgot_page, reset_page
from pages.demo_mail import demo_mail_page
from pages.language import LocalizedPage, bind_language
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
    '/favicon.ico',  # the logo when PORTAL_BRAND_LOGO is set
}


def bind_pages() -> None:
    bind_accessibility()
    bind_language()
    # <html lang> and Quasar's own texts follow the browser's language
    LocalizedPage('/')(home_page)
    LocalizedPage('/accounts/add')(add_account_page)
    LocalizedPage('/settings')(settings_page)
    LocalizedPage('/login')(login_page)
    LocalizedPage('/register')(register_page)
    LocalizedPage('/first-entry')(first_entry_page)
    LocalizedPage('/confirm')(confirm_page)
    LocalizedPage('/email-change')(email_change_page)
    LocalizedPage('/ebill-confirm')(ebill_confirm_page)
    LocalizedPage('/reset')(reset_page)
    LocalizedPage('/forgot')(forgot_page)
    LocalizedPage('/demo/mail')(demo_mail_page)
