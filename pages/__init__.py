"""Screens, one module per screen group; `session` and `widgets` are what they share, `shell/` what they sit in.
`bind_pages()` binds them to their paths; page modules build UI and call services, nothing else."""

from pages.accounts import add_account_page
from pages.confirm import confirm_page
from pages.demo_mail import demo_mail_page
from pages.home import home_page
from pages.login import login_page
from pages.readings import reading_unsubscribe_page, readings_page
from pages.recovery import forgot_page, reset_page
from pages.register import first_entry_page, register_page
from pages.settings import ebill_confirm_page, email_change_page, settings_page
from pages.shell.accessibility import bind_accessibility
from pages.shell.idle_pages import bind_idle_pages
from pages.shell.idle_sockets import bind_idle_sockets
from pages.shell.language import LocalizedPage, bind_language
from pages.shell.teardown import bind_teardown
from pages.staff.audit import audit_page, bind_audit_export
from pages.staff.customers import customers_page
from pages.staff.customers_view import cabinet_page
from pages.staff.enrol import enrol_page
from pages.staff.home import console_home_page
from pages.staff.imports import import_page
from pages.staff.login import staff_login_page
from pages.staff.outbox import outbox_page
from pages.staff.team import team_page


def bind_pages() -> None:
    bind_accessibility()
    bind_language()
    bind_teardown()
    bind_idle_pages()
    bind_idle_sockets()
    # <html lang> and Quasar's own texts follow the browser's language
    LocalizedPage('/')(home_page)
    LocalizedPage('/readings')(readings_page)
    LocalizedPage('/readings/unsubscribe')(reading_unsubscribe_page)
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
    # the operator console (pages/staff/), behind its own login and session (pages/session.py, `STAFF`)
    LocalizedPage('/staff')(console_home_page)
    LocalizedPage('/staff/login')(staff_login_page)
    LocalizedPage('/staff/enrol')(enrol_page)
    LocalizedPage('/staff/team')(team_page)
    LocalizedPage('/staff/customers')(customers_page)
    LocalizedPage('/staff/customers/{cabinet_id}')(cabinet_page)
    LocalizedPage('/staff/audit')(audit_page)
    bind_audit_export()
    LocalizedPage('/staff/outbox')(outbox_page)
    LocalizedPage('/staff/import')(import_page)
