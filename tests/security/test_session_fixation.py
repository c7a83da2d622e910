"""Item 4 of issue 11: an attacker plants their NiceGUI storage cookie in the victim's browser; once the victim logs
in (or passes step 1 of the first entry), the attacker's cookie opens the victim's cabinet (or its first entry).
Simulated browsers (NiceGUI's `user`), each with its own cookie jar, over the socket protocol."""

from __future__ import annotations

import json
from collections.abc import Iterator

from nicegui import app
from nicegui.storage import Storage
from nicegui.testing import User
from tortoise import Tortoise
from tortoise.migrations.api import migrate

from models.cabinet import Cabinet
from pages.session import session_cookie_name
from services.db import close_database, open_database, tortoise_config
from services.identity import sessions
from tests.support.factories import make_cabinet
from tests.support.servers import Mailbox
from tests.support.stories import log_in, not_see, registered, see, start_first_entry, volga_account


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings(item)


async def _tokens_in_nicegui_storage() -> list[str]:
    """Every string NiceGUI's per-browser storage holds, in memory and in its files, that opens a session."""
    found = [text for storage in app.storage._users.values() for text in _strings(dict(storage))]
    for path in Storage.path.glob('storage-user-*.json'):
        try:
            found += _strings(json.loads(path.read_text(encoding='utf-8')))
        except ValueError:
            continue
    return [text for text in found if await sessions.resolve(text) is not None]


async def _plant(attacker: User, victim: User) -> None:
    """The attacker's NiceGUI storage cookie, set in the victim's browser before the victim opens the portal."""
    await attacker.open('/login')
    planted = dict(attacker.http_client.cookies)
    assert planted, 'NiceGUI sets its storage cookie on the first page'
    victim.http_client.cookies.update(planted)


async def test_a_planted_cookie_does_not_open_the_victims_cabinet(user: User, create_user, mailbox: Mailbox):
    await registered(mailbox)
    attacker = create_user()
    await _plant(attacker, user)

    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')

    response = await attacker.http_client.get('/settings')
    assert response.status_code in {302, 303, 307}
    assert response.headers['location'].startswith('/login')
    await attacker.open('/')
    await see(attacker, 'Вход в личный кабинет')


async def test_nicegui_storage_holds_no_token_that_opens_a_session(user: User, mailbox: Mailbox):
    await registered(mailbox)
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')
    assert await _tokens_in_nicegui_storage() == []
    cookie = next(cookie for cookie in user.http_client.cookies.jar if cookie.name == session_cookie_name())
    assert cookie.has_nonstandard_attr('HttpOnly')
    assert await sessions.resolve(cookie.value) is not None


async def test_logging_in_over_a_session_ends_it(user: User, mailbox: Mailbox):
    await registered(mailbox)
    await registered(mailbox, 'petrov', 'petrov@example.ru')
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')
    first = user.http_client.cookies.get(session_cookie_name())
    assert await sessions.resolve(first) is not None

    await log_in(user, 'petrov')
    await see(user, 'Вы вошли как petrov')
    assert await sessions.resolve(first) is None


async def test_a_handover_link_works_once_and_only_in_its_browser(user: User, create_user, mailbox: Mailbox):
    await registered(mailbox)
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')
    link = next(step for step in user.back_history if step.startswith('/session/start'))
    # a reload of the used link: nothing new is set, the browser stays in the session it has
    again = await user.http_client.get(link)
    assert again.headers['location'] == '/'
    assert session_cookie_name() not in again.headers.get('set-cookie', '')
    elsewhere = await create_user().http_client.get(link)
    assert elsewhere.headers['location'] == '/login'
    assert session_cookie_name() not in elsewhere.headers.get('set-cookie', '')


async def test_a_planted_cookie_cannot_go_on_with_the_victims_first_entry(volga, user: User, create_user):
    await volga_account()
    attacker = create_user()
    await _plant(attacker, user)

    await start_first_entry(user)  # the victim's number and surname check out
    await see(user, 'Регистрация по лицевому счёту 4401000123')

    await attacker.open('/first-entry')
    await see(attacker, 'Вход в личный кабинет')
    await not_see(attacker, 'Регистрация по лицевому счёту')


async def test_a_token_an_older_version_kept_in_nicegui_storage_signs_nobody_in(user: User, mailbox: Mailbox):
    await registered(mailbox)
    await user.open('/login')
    token = await sessions.start(await Cabinet.get(login='ivanov'), None)
    for storage in app.storage._users.values():
        storage['session'] = token  # where versions before the session cookie kept it

    await user.open('/settings')
    await see(user, 'Вход в личный кабинет')
    await not_see(user, 'Вы вошли как ivanov')


async def test_the_upgrade_ends_the_sessions_older_versions_kept_in_nicegui_storage(database_url: str):
    config = tortoise_config(database_url)
    await migrate(config=config, target='models.0006_delivery_state_from_outbox')  # the version before the upgrade
    await Tortoise.init(config=config)
    try:
        token = await sessions.start(await make_cabinet(), None)
        assert await sessions.resolve(token) is not None
    finally:
        await Tortoise.close_connections()

    await open_database(database_url)  # the upgraded portal starts
    try:
        assert await sessions.resolve(token) is None
    finally:
        await close_database()


async def test_a_link_on_another_site_cannot_log_the_customer_out(user: User, mailbox: Mailbox):
    """The logout's last step is a GET that the Lax cookie goes with from any site: an image or link elsewhere ended
    the session. Browsers name a cross-site request in Sec-Fetch-Site; only the portal's own pages may log out."""
    await registered(mailbox)
    await log_in(user, 'ivanov')
    await see(user, 'Вы вошли как ivanov')
    token = user.http_client.cookies.get(session_cookie_name())

    for site in ('cross-site', 'same-site'):
        response = await user.http_client.get('/session/end', headers={'Sec-Fetch-Site': site})
        assert response.status_code == 303 and response.headers['location'] == '/'
        assert 'set-cookie' not in response.headers
        assert await sessions.resolve(token) is not None

    response = await user.http_client.get('/session/end', headers={'Sec-Fetch-Site': 'same-origin'})
    assert response.headers['location'] == '/login'
    assert await sessions.resolve(token) is None
