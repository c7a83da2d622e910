"""The sections' navigation and «Настройки» in sections, in the simulated browser: «Главная», «Показания»,
«Настройки» in the header and in the phone's bottom bar, the current one marked; the tabs «Лицевые счета»,
«Профиль», «Квитанции и уведомления» and their addresses."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from tests.support.stories import RETRIES, follow, nav_links, open_account_menu, see, signed_in_user


def current_sections(user: User) -> dict[str, list[str]]:
    """Per bar (header, bottom), the links marked as the current page."""
    return {bar: [link.name for link in nav_links(user, bar) if link.current] for bar in ('nav', 'bottom-nav')}


def hrefs(user: User, bar: str) -> list[str]:
    return [link.href for link in nav_links(user, bar)]


async def test_the_navigation_shows_the_three_sections_and_marks_the_current_one(user: User, mailbox):
    await signed_in_user(user, mailbox)
    await see(user, 'Главная', 'Показания', 'Настройки')
    assert hrefs(user, 'nav') == hrefs(user, 'bottom-nav') == ['/', '/readings', '/settings']
    assert [link.name for link in nav_links(user)] == ['Главная', 'Показания', 'Настройки']
    landmarks = [element for element in user.find(kind=ui.html).elements if element.props['tag'] == 'nav']
    assert [nav.props['aria-label'] for nav in landmarks] == ['Разделы личного кабинета'] * 2
    assert current_sections(user) == {'nav': ['Главная'], 'bottom-nav': ['Главная']}

    await follow(user, 'Показания')
    await see(user, 'Добавьте лицевой сч')
    assert current_sections(user) == {'nav': ['Показания'], 'bottom-nav': ['Показания']}

    await follow(user, 'Настройки', 'bottom-nav')
    await see(user, 'Привязанные лицевые счета')
    assert current_sections(user) == {'nav': ['Настройки'], 'bottom-nav': ['Настройки']}

    await follow(user, 'Главная')
    await see(user, 'Вы вошли как ivanov')
    assert current_sections(user) == {'nav': ['Главная'], 'bottom-nav': ['Главная']}


async def test_no_navigation_before_signing_in(user: User):
    await user.open('/login')
    await see(user, 'Вход в личный кабинет')
    for bar in ('nav', 'bottom-nav'):
        await user.should_not_see(marker=bar, retries=RETRIES)


async def test_the_account_menu_keeps_the_accounts_and_logout_but_not_the_sections(user: User, mailbox):
    await signed_in_user(user, mailbox)
    open_account_menu(user)
    await user.should_see(marker='menu-add-account', retries=RETRIES)
    with user.client:
        (menu,) = ElementFilter(kind=ui.menu, local_scope=False)
        items = [element.text for element in menu.descendants() if isinstance(element, ui.item_section)]
    assert items == ['+Добавить счёт', 'Выйти']  # the sections are in the navigation, once


def open_section(user: User) -> str:
    (panels,) = user.find(marker='settings-panels').elements
    return panels.value


async def test_settings_open_in_sections_each_with_its_own_address(user: User, mailbox):
    await signed_in_user(user, mailbox)
    await user.open('/settings')
    await see(user, 'Лицевые счета', 'Профиль', 'Квитанции и уведомления')
    assert open_section(user) == 'accounts'
    labels = [tab.props['label'] for tab in sorted(user.find(kind=ui.tab).elements, key=lambda tab: tab.id)]
    assert labels == ['Лицевые счета', 'Профиль', 'Квитанции и уведомления']

    user.find(marker='section-profile').click()
    assert open_section(user) == 'profile'
    user.find(marker='section-notices').click()
    assert open_section(user) == 'notices'
    # no account linked yet: the section says when the e-bill can be had instead of showing nothing
    await see(user, 'Подключение получения квитанции на электронную почту', 'когда к кабинету привязан лицевой счёт')

    for section in ('profile', 'notices', 'accounts'):
        await user.open(f'/settings?section={section}')
        await see(user, 'Квитанции и уведомления')
        assert open_section(user) == section
    await user.open('/settings?section=%22%3E%3Cscript%3E')  # anything else: the first section
    await see(user, 'Квитанции и уведомления')
    assert open_section(user) == 'accounts'


async def test_the_profile_section_still_changes_the_email(user: User, mailbox):
    await signed_in_user(user, mailbox)
    await user.open('/settings?section=profile')
    await see(user, 'Email: ivanov@example.ru (подтверждён)')
    user.find(kind=ui.input, content='Новый email').type('new@example.ru')
    user.find(kind=ui.button, content='Изменить email').click()
    await see(user, 'На new@example.ru отправлено письмо со ссылкой', 'Письма нет? Проверьте папку «Спам».')
