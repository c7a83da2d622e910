"""Real-browser steps: a running `python main.py`, screenshots checked by axe, and what a customer does in Chromium
on more than one screen (log in and out, add an account, an error read at its field)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx
from playwright.sync_api import Locator, Page, expect

from services.db import close_database, open_database
from tests.support import accessibility
from tests.support.factories import GOOD
from tests.support.paths import ROOT
from tests.support.servers import Mailbox, free_port

ARTIFACTS = ROOT / 'artifacts' / 'browser'
T = TypeVar('T')
#: the accessible name of the sections' navigation (pages/shell/navigation.py)
NAVIGATION = 'Разделы личного кабинета'


class Portal:
    """A running `python main.py` in one profile."""

    def __init__(self, profile: str, tmp_path: Path, **extra_env: str) -> None:
        port = free_port()
        self.url = f'http://127.0.0.1:{port}'
        # NiceGUI takes a process with PYTEST_CURRENT_TEST for its own screen tests
        inherited = {key: value for key, value in os.environ.items() if key != 'PYTEST_CURRENT_TEST'}
        env = {
            **inherited,
            'PORTAL_PROFILE': profile,
            'PORTAL_HOST': '127.0.0.1',
            'PORTAL_PORT': str(port),
            'PORTAL_BASE_URL': self.url,
            'PORTAL_OUTBOX_POLL_SECONDS': '0.2',
            **extra_env,
        }
        self.env = env
        self.log = tmp_path / f'server-{profile}.log'
        self.process = subprocess.Popen(
            [sys.executable, 'main.py'], cwd=ROOT, env=env, stdout=self.log.open('w'), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f'{self.url}/login', timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f'the portal did not start:\n{self.log.read_text()}')
            time.sleep(0.2)

    def command(self, *args: str) -> str:
        """Run an operator command (`python main.py …`) against the same database."""
        done = subprocess.run(
            [sys.executable, 'main.py', *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def screenshot(page: Page, name: str) -> None:
    """Full-page screenshots of each screen, at desktop width and at 375 px (git-ignored artifacts), each checked
    by axe: a serious or critical violation fails the test, and the screen must not scroll sideways on a phone."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=ARTIFACTS / f'{name}-1280.png', full_page=True)
    failing = accessibility.check(page, name, ARTIFACTS)
    page.set_viewport_size({'width': 375, 'height': 800})
    page.screenshot(path=ARTIFACTS / f'{name}-375.png', full_page=True)
    failing += accessibility.check(page, name, ARTIFACTS)
    sideways = page.evaluate('document.documentElement.scrollWidth > window.innerWidth')
    page.set_viewport_size(size)
    assert not sideways, f'{name} scrolls sideways at 375 px'
    assert not failing, '\n'.join(failing)


def field(page: Page, label: str) -> Locator:
    return page.get_by_label(label, exact=True)


def log_in(page: Page, portal: Portal, login: str, password: str) -> None:
    page.goto(f'{portal.url}/login')
    field(page, 'Логин').fill(login)
    field(page, 'Пароль').fill(password)
    page.get_by_role('button', name='Войти').click()
    expect(page.get_by_text(f'Вы вошли как {login}')).to_be_visible()


def register_and_log_in(page: Page, portal: Portal, mailbox: Mailbox, login: str, email: str) -> None:
    """A cabinet registered and confirmed through the UI, then logged in."""
    page.goto(f'{portal.url}/register')
    field(page, 'Логин').fill(login)
    field(page, 'Пароль').fill(GOOD)
    field(page, 'Подтверждение пароля').fill(GOOD)
    field(page, 'Email').fill(email)
    page.get_by_role('checkbox', name=re.compile('Я согласен')).click()
    page.get_by_role('button', name='Зарегистрироваться').click()
    expect(page.get_by_text('Почти готово!')).to_be_visible()
    page.goto(Mailbox.link(mailbox.wait_for(email)[-1]))
    page.get_by_role('button', name='Подтвердить регистрацию').click()
    expect(page.get_by_text('Регистрация подтверждена')).to_be_visible()
    log_in(page, portal, login, GOOD)


def log_out(page: Page) -> None:
    page.get_by_role('button', name=re.compile('Меню кабинета')).click()  # top right
    page.get_by_role('menuitem', name='Выйти').click()
    expect(page.get_by_text('Вход в личный кабинет')).to_be_visible()


def add_account(page: Page, number: str, proof: str) -> None:
    field(page, 'Номер лицевого счёта').fill(number)
    field(page, 'Подтверждение').fill(proof)
    page.get_by_role('button', name='Добавить').click()
    expect(page.get_by_role('heading', name=f'Лицевой счёт {number}')).to_be_visible()


def expect_error_at(page: Page, label: str, message: str) -> None:
    """The message shows under the field and is exposed with it: «invalid», the message as the field's description,
    and an alert inside the field so it is spoken when it appears."""
    element = field(page, label)
    expect(element).to_have_attribute('aria-invalid', 'true')
    expect(element).to_have_accessible_description(re.compile(re.escape(message)))
    # filtered by text: Quasar's message transition keeps the previous alert in the DOM while it fades out
    alert = page.locator('label.q-field', has=element).get_by_role('alert').filter(has_text=message)
    expect(alert).to_be_visible()


def seed(build: Callable[[], Awaitable[T]]) -> T:
    """Rows written straight into the test's database (the portal's too), e.g. what no form or import would let in,
    or read from it; in a thread of its own, as this one holds sync Playwright's event loop. What `build` returns."""

    async def run() -> T:
        await open_database()
        try:
            return await build()
        finally:
            await close_database()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


#: the focused element's ring: Quasar hides outlines (its raised buttons keep a box-shadow whether focused or not,
#: so a shadow proves nothing); pages/shell/accessibility.py draws a 3 px outline on :focus-visible
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
    """`text` typed after tabbing to `target`."""
    tab_to(page, target)
    page.keyboard.type(text)
