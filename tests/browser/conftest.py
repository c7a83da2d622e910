"""Real-browser tests: Debian's Chromium driven by Playwright against `python main.py` run as a server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser import accessibility
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / 'artifacts' / 'browser'
CHROMIUM = os.environ.get('PORTAL_TEST_CHROMIUM', '/usr/bin/chromium')
# without the background-networking flags Chromium keeps dialling hosts this machine cannot reach
CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    # per test: sync Playwright holds an event loop in this thread while it runs, which the async tests need free
    if not Path(CHROMIUM).exists():
        pytest.fail(f'{CHROMIUM} is missing: `apt-get install chromium` (make test does it)')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


@pytest.fixture
def start_portal(tmp_path: Path) -> Iterator:
    started: list[Portal] = []

    def start(profile: str, **extra_env: str) -> Portal:
        portal = Portal(profile, tmp_path, **extra_env)
        started.append(portal)
        return portal

    yield start
    for portal in started:
        portal.stop()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={'width': 1280, 'height': 900}, locale='ru-RU')
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    if request.node.rep_call.failed if hasattr(request.node, 'rep_call') else False:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f'{request.node.name}-failure.png', full_page=True)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f'rep_{report.when}', report)


@pytest.fixture(scope='session', autouse=True)
def axe_summary() -> Iterator[None]:
    yield
    accessibility.write_summary(ARTIFACTS)


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
