"""Fixtures of a running `python main.py` and of Debian's Chromium driven by Playwright against it, for tests/browser/
and the attacks in tests/security/ that need a server (a plugin of tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import ARTIFACTS, Portal

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


#: Chromium reports a blocked script, style or connection on the console («Refused to …»); the event also names what
#: the policy blocked when the console line is terse
_REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => console.error(
    `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}`));
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """What the Content-Security-Policy blocked in this test's pages: each one a page the policy broke."""
    return []


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, csp_violations: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={'width': 1280, 'height': 900}, locale='ru-RU')
    context.add_init_script(_REPORT_VIOLATIONS)
    page = context.new_page()
    page.on('console', lambda message: _note_violation(message.text, csp_violations))
    page.set_default_timeout(15_000)
    yield page
    if request.node.rep_call.failed if hasattr(request.node, 'rep_call') else False:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f'{request.node.name}-failure.png', full_page=True)
    context.close()
    assert not csp_violations, '\n'.join(csp_violations)


def _note_violation(text: str, violations: list[str]) -> None:
    if text.startswith(('Refused to', 'CSP violation')) or 'Content Security Policy' in text:
        violations.append(text)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f'rep_{report.when}', report)
