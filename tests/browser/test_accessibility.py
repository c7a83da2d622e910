"""Keyboard only and screen readers (WCAG 2.1 AA): register, log in and link an account without a mouse, with the
focus visible at every stop; errors are announced at their field, not only shown."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_accounts import billing_files
from tests.browser.test_profiles import GOOD, field
from tests.support.servers import Mailbox

#: the focused element's ring: Quasar hides outlines (its raised buttons keep a box-shadow whether focused or not,
#: so a shadow proves nothing); pages/accessibility.py draws a 3 px outline on :focus-visible
FOCUS_RING = """() => {
  const style = getComputedStyle(document.activeElement);
  return {
    element: document.activeElement.outerHTML.slice(0, 120),
    visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def focus_is_visible(page: Page) -> None:
    ring = page.evaluate(FOCUS_RING)
    assert ring['visible'], f'no visible focus on {ring["element"]}'


def tab_to(page: Page, target: Locator, *, limit: int = 40) -> None:
    """Tab until `target` has the focus, checking that every stop on the way shows where the focus is.
    The locator only asserts: the keyboard does the moving."""
    for _ in range(limit):
        page.keyboard.press('Tab')
        focus_is_visible(page)
        if target.evaluate('element => element === document.activeElement'):
            return
    raise AssertionError(f'{target} is not reachable with Tab')


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def test_register_log_in_and_link_an_account_with_the_keyboard_alone(
    start_portal, page: Page, mailbox: Mailbox, tmp_path
):
    portal = start_portal('default')
    portal.command('import', *billing_files(tmp_path))
    page.goto(f'{portal.url}/login')
    tab_to(page, page.get_by_role('link', name='Еще нет аккаунта? Зарегистрируйтесь'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Регистрация')).to_be_visible()
    type_into(page, field(page, 'Логин'), 'klava')
    type_into(page, field(page, 'Пароль'), GOOD)
    type_into(page, field(page, 'Подтверждение пароля'), GOOD)
    type_into(page, field(page, 'Email'), 'klava@example.ru')
    consent = page.get_by_role('checkbox', name=re.compile('Я согласен'))
    tab_to(page, consent)
    page.keyboard.press('Space')
    expect(consent).to_be_checked()
    tab_to(page, page.get_by_role('button', name='Зарегистрироваться'))
    page.keyboard.press('Enter')
    expect(page.get_by_text('Почти готово!')).to_be_visible()

    page.goto(Mailbox.link(mailbox.wait_for('klava@example.ru')[-1]))  # the link comes from the mail
    tab_to(page, page.get_by_role('button', name='Подтвердить регистрацию'))
    page.keyboard.press('Enter')
    expect(page.get_by_text('Регистрация подтверждена')).to_be_visible()
    tab_to(page, page.get_by_role('link', name='Вернуться ко входу'))
    page.keyboard.press('Enter')

    expect(page.get_by_role('heading', name='Вход в личный кабинет')).to_be_visible()
    type_into(page, field(page, 'Логин'), 'klava')
    type_into(page, field(page, 'Пароль'), GOOD)
    page.keyboard.press('Enter')  # Enter in the password field logs in
    expect(page.get_by_role('heading', name='Добавление лицевого счёта')).to_be_visible()

    type_into(page, field(page, 'Номер лицевого счёта'), '461000000001')
    type_into(page, field(page, 'Подтверждение'), '1234.56')
    tab_to(page, page.get_by_role('button', name='Добавить'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Лицевой счёт 461000000001')).to_be_visible()

    menu = page.get_by_role('button', name=re.compile('Меню кабинета'))
    tab_to(page, menu)
    page.keyboard.press('Enter')
    settings = page.get_by_role('menuitem', name='Настройки')
    expect(settings).to_be_visible()
    tab_to(page, settings)
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', name='Настройки')).to_be_visible()


def expect_error_at(page: Page, label: str, message: str) -> None:
    """The message shows under the field and is exposed with it: «invalid», the message as the field's description,
    and an alert inside the field so it is spoken when it appears."""
    element = field(page, label)
    expect(element).to_have_attribute('aria-invalid', 'true')
    expect(element).to_have_accessible_description(re.compile(re.escape(message)))
    expect(page.locator('label.q-field', has=element).get_by_role('alert')).to_contain_text(message)


def test_errors_are_announced_at_their_field_and_cleared_when_fixed(start_portal, page: Page):
    portal = start_portal('default')
    page.goto(f'{portal.url}/login')
    page.get_by_role('button', name='Войти').click()
    expect_error_at(page, 'Логин', 'Заполните это поле')
    expect_error_at(page, 'Пароль', 'Заполните это поле')
    screenshot(page, 'login-errors')
    field(page, 'Логин').fill('nobody')
    field(page, 'Пароль').fill(GOOD)
    page.get_by_role('button', name='Войти').click()
    # a wrong login or password belongs to no single field: one alert under the form, the fields unmarked
    expect(page.get_by_role('alert').filter(has_text='Неверный логин или пароль')).to_be_visible()
    expect(field(page, 'Логин')).not_to_have_attribute('aria-invalid', 'true')
    expect(field(page, 'Пароль')).not_to_have_attribute('aria-invalid', 'true')
