"""«Клиенты» in Chromium: a customer locks themselves out with wrong passwords; an admin (enrolled with an app whose
codes pyotp computes) finds them by their personal account number, opens the cabinet, sees the lockout and lifts it;
the customer then logs in. The search and the cabinet view are axe-clean at desktop and phone width."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from models.staff import StaffRole
from tests.support.browser import field, log_in, screenshot, seed
from tests.support.factories import GOOD, NUMBER, make_cabinet
from tests.support.staff import enrolled_staff

#: the accessible name of the console's navigation (pages/staff/frame.py)
CONSOLE = 'Разделы консоли'


def test_an_admin_finds_a_locked_customer_by_account_and_unlocks_them(start_portal, page: Page):
    portal = start_portal('default')
    chief = seed(lambda: enrolled_staff('chief', StaffRole.ADMIN))
    seed(lambda: make_cabinet('ivanov', password=GOOD, surname='Семёнов', accounts=[NUMBER]))

    page.goto(f'{portal.url}/login')
    for _ in range(5):
        field(page, 'Логин').fill('ivanov')
        field(page, 'Пароль').fill('wrong-password')
        page.get_by_role('button', name='Войти').click()
        expect(page.get_by_text('Неверный логин или пароль')).to_be_visible()
        page.reload()
    field(page, 'Логин').fill('ivanov')
    field(page, 'Пароль').fill(GOOD)
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Слишком много попыток входа')).to_be_visible()

    page.goto(f'{portal.url}/staff/login')
    field(page, 'Логин').fill('chief')
    field(page, 'Пароль').fill(GOOD)
    field(page, 'Код из приложения').fill(chief.code())
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text('Вы вошли как chief')).to_be_visible()
    page.get_by_role('navigation', name=CONSOLE).get_by_role('link', name='Клиенты').click()
    field(page, 'Кого ищем').fill(NUMBER)
    page.get_by_role('button', name='Найти').click()
    expect(page.get_by_text('Найден 1 кабинет')).to_be_visible()
    screenshot(page, 'staff-customers')

    page.get_by_role('link', name='ivanov').click()
    expect(page.get_by_role('heading', name='Кабинет ivanov')).to_be_visible()
    expect(page.get_by_text('вход заблокирован после неудачных попыток')).to_be_visible()
    expect(page.get_by_text(f'{NUMBER}, Курск')).to_be_visible()
    screenshot(page, 'staff-cabinet')
    page.get_by_role('button', name='Снять блокировку').click()
    expect(page.get_by_text('Блокировка снята: клиент может войти')).to_be_visible()
    expect(page.get_by_role('button', name='Снять блокировку')).to_have_count(0)

    log_in(page, portal, 'ivanov', GOOD)
