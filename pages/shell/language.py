"""The page language: Russian by default, English on request; kept for the browser and stored on the cabinet.

services/texts.py picks texts, money and dates by the language; it cannot import NiceGUI, so `bind_language()` hands
it `browser_language`, which reads this browser's choice in a page request and in its socket events alike.
"""

from __future__ import annotations

from nicegui import app, ui
from nicegui.language import Language

from pages.session import current_cabinet
from services import texts
from services.identity import language
from services.texts import t

#: 'ru' or 'en', per browser: the header's switch sets it, and so does a login (the cabinet's stored language)
LANGUAGE_KEY = 'language'
#: Quasar's language packs: its own texts (date picker, pagination) and the <html lang> of the page
QUASAR = {'ru': 'ru', 'en': 'en-US'}


def browser_language() -> str | None:
    """The language this browser chose; None outside a browser's request or event (background work has none)."""
    try:
        return app.storage.user.get(LANGUAGE_KEY)
    except RuntimeError:
        return None


def remember_language(code: str | None) -> None:
    if code in texts.LANGUAGES:
        app.storage.user[LANGUAGE_KEY] = code


def bind_language() -> None:
    texts.set_resolver(browser_language)


class LocalizedPage(ui.page):
    """`ui.page` whose language is the browser's, not one fixed for the app: NiceGUI asks it when it builds the
    response, so <html lang> and Quasar's texts follow the choice from the first paint."""

    def resolve_language(self) -> Language | None:
        return QUASAR[texts.current_language()]  # type: ignore[return-value]


def language_switch(*, for_cabinet: bool = True) -> None:
    """The header's switch to the other language, named in that language (and marked as such for screen readers).
    `for_cabinet`: a signed-in customer's cabinet stores the choice too (not from the staff console, whose pages read
    no customer's session)."""
    other = 'en' if texts.current_language() == 'ru' else 'ru'
    with texts.in_language(other):
        name, action = t('language.name'), t('language.switch')
    button = ui.button(name, on_click=lambda: _choose(other, for_cabinet)).props('flat no-caps color=white')
    button.props.update({'lang': other, 'aria-label': action})
    button.mark('language')


async def _choose(code: str, for_cabinet: bool) -> None:
    remember_language(code)
    cabinet = await current_cabinet() if for_cabinet else None
    if cabinet is not None:
        await language.set_language(cabinet, code)
    # every text on the page is built in one language: the page is built again in the other one
    ui.navigate.reload()
