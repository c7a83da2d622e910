"""«Сотрудники» in the simulated browser: an admin adds a staff member and reads the link once, changes a role,
disables one, sends a new link; never to themselves; the other roles do not get the page."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from models.staff import Staff, StaffRole
from services.staff import enrolment, sessions
from tests.support.staff import enrolled_staff, staff_signed_in, token_of
from tests.support.stories import fill, not_see, see


async def open_team(user: User) -> None:
    user.find(marker='staff-nav-team').click()
    await see(user, 'Добавить сотрудника', 'Все сотрудники')


async def test_an_admin_adds_a_staff_member_and_hands_over_the_link(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.ADMIN)
    await open_team(user)
    await see(user, 'Это вы (Администратор)')
    fill(user, {'Логин': 'Olga.K'})
    user.find(marker='new-role').click()
    user.find('Оператор').click()
    user.find(marker='add-staff').click()
    await see(user, 'Сотрудник olga.k добавлен. Передайте ему ссылку для подключения:')
    await see(user, 'Ссылка работает один раз в течение 72 ч')
    link = user.find(marker='enrol-link').elements.pop().text
    assert (await enrolment.open_enrolment(token_of(link))).login == 'olga.k'
    with user.scope(marker='member-olga.k'):
        await see(user, 'Оператор · ссылка для подключения отправлена')
    assert (await Staff.get(login='olga.k')).role == StaffRole.OPERATOR
    fill(user, {'Логин': 'OLGA.K'})
    user.find(marker='add-staff').click()
    await see(user, 'Сотрудник с логином olga.k уже есть')


async def test_an_admin_changes_a_role_and_disables_a_staff_member(user: User, fake_clock):
    anna = await enrolled_staff('anna', StaffRole.VIEWER)
    await staff_signed_in(user, StaffRole.ADMIN)
    await open_team(user)
    user.find(marker='role-anna').click()
    with user.scope(marker='member-anna'):
        user.find('Оператор').click()
    await see(user, 'Роль anna изменена')
    assert (await Staff.get(login='anna')).role == StaffRole.OPERATOR
    user.find(marker='disable-anna').click()
    await see(user, 'Отключить anna?')
    user.find(marker='confirm').click()
    await see(user, 'anna отключён, его сеансы завершены')
    with user.scope(marker='member-anna'):
        await see(user, 'Оператор · отключён')
    assert (await Staff.get(login='anna')).disabled_at is not None
    assert await sessions.resolve(await sessions.start(anna.staff, None)) is None


async def test_a_new_link_starts_the_enrolment_over(user: User, fake_clock):
    await enrolled_staff('anna', StaffRole.OPERATOR)
    await staff_signed_in(user, StaffRole.ADMIN)
    await open_team(user)
    user.find(marker='reissue-anna').click()
    await see(user, 'Выдать anna новую ссылку для подключения?')
    user.find('Отмена').click()
    await not_see(user, 'Новая ссылка для подключения anna')
    assert (await Staff.get(login='anna')).enrolled_at is not None
    user.find(marker='reissue-anna').click()
    await see(user, 'Выдать anna новую ссылку для подключения?')
    user.find(marker='confirm').click()
    await see(user, 'Новая ссылка для подключения anna')
    link = user.find(marker='enrol-link').elements.pop().text
    assert (await enrolment.open_enrolment(token_of(link))).login == 'anna'
    assert (await Staff.get(login='anna')).enrolled_at is None


async def test_an_admin_has_no_controls_over_themselves(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.ADMIN)
    await open_team(user)
    with user.scope(marker='member-chief'):
        await see(user, 'Это вы (Администратор)')
        await not_see(user, 'Отключить')
        await not_see(user, 'Новая ссылка')


async def test_viewers_and_operators_do_not_get_the_page(user: User, fake_clock):
    await staff_signed_in(user, StaffRole.OPERATOR, login='olga')
    await user.open('/staff/team')
    await see(user, 'У вашей роли нет права на это действие.')
    await not_see(user, 'Добавить сотрудника')
    assert not [element for element in user.find(kind=ui.element).elements if 'staff-nav-team' in element._markers]
