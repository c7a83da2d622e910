"""Every user-facing string, looked up by key in gettext catalogs that Babel reads when this module is imported:
locale/ru/LC_MESSAGES/messages.po (the screens' wording, docs/product.md) and locale/en/LC_MESSAGES/messages.po.

Pages, services, email templates and SMS texts all call `t(key, **values)`; {name} fields in a text are str.format
placeholders. To add a string, add its key (msgid) and text (msgstr) to BOTH .po files, with the same placeholders:
tests/services/test_texts.py fails otherwise. No build step: the .po files are the catalogs.

The language is Russian unless someone says otherwise: `in_language(code)` around background work (the recipient
cabinet's stored language), else the resolver the pages register (the browser's choice). Money and dates follow it
(Babel's CLDR data).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ('ru', 'en')
DEFAULT_LANGUAGE = 'ru'
LOCALE_DIR = Path(__file__).resolve().parent.parent / 'locale'
DOMAIN = 'messages'


class _UnknownKey(NullTranslations):
    """The end of every fallback chain: a key that not even the Russian catalog has is a bug in the code."""

    def gettext(self, message: str) -> str:
        raise KeyError(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        raise KeyError(singular)


def _load(language: str) -> Translations:
    with (LOCALE_DIR / language / 'LC_MESSAGES' / f'{DOMAIN}.po').open('rb') as po:
        catalog = read_po(po, locale=language)
    # compiled in memory, so a fresh clone runs without a build step
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _load_all() -> dict[str, Translations]:
    russian = _load(DEFAULT_LANGUAGE)
    russian.add_fallback(_UnknownKey())
    catalogs = {DEFAULT_LANGUAGE: russian}
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            # an untranslated text shows in Russian rather than as its key (the page tests look for Cyrillic)
            catalogs[language] = _load(language)
            catalogs[language].add_fallback(russian)
    return catalogs


CATALOGS = _load_all()

# ---- the current language ------------------------------------------------------------------------------------

_chosen: ContextVar[str | None] = ContextVar('portal_language', default=None)
_resolver: Callable[[], str | None] | None = None


def set_resolver(resolver: Callable[[], str | None] | None) -> None:
    """How to find the language when no `in_language` block says it: the pages register one that reads the browser's
    choice (services never import NiceGUI). It returns None outside a browser's request or event."""
    global _resolver  # one process-wide hook, set once at startup
    _resolver = resolver


def supported(code: str | None) -> str:
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    code = _chosen.get()
    if code is None and _resolver is not None:
        code = _resolver()
    return supported(code)


@contextmanager
def in_language(code: str | None) -> Iterator[str]:
    """Texts, money and dates in `code` inside the block (None or an unknown code: Russian)."""
    token = _chosen.set(supported(code))
    try:
        yield supported(code)
    finally:
        _chosen.reset(token)


def t(key: str, **values: object) -> str:
    text = CATALOGS[current_language()].gettext(key)
    return text.format(**values) if values else text


def tn(key: str, count: int, **values: object) -> str:
    """The plural form of `key` for `count` (ngettext: «1 строка», «2 строки», «5 строк»); {count} is the number."""
    return CATALOGS[current_language()].ngettext(key, key, count).format(count=count, **values)


def operator_language() -> str:
    """The language of the operator's console: English where the locale says so (LANG=en_US.UTF-8), else Russian."""
    for variable in ('LC_ALL', 'LC_MESSAGES', 'LANG'):
        if value := os.environ.get(variable):
            return 'en' if value.lower().startswith('en') else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


# ---- numbers and dates ---------------------------------------------------------------------------------------

CENT = Decimal('0.01')
#: Russian: CLDR's short date (05.10.2026). English: the medium one (Oct 5, 2026), as 10/5/26 reads both ways
_DATE_FORMATS = {'ru': 'short', 'en': 'medium'}
RUBLE = '₽'


@cache
def _locale(language: str) -> Locale:
    # Babel parses a locale given by name on every call: a bulk dispatch formats hundreds of thousands of amounts
    return Locale.parse(language)


def format_money(value: Decimal) -> str:
    """«1 234,56 ₽» (NBSP between thousands and before the sign) or «₽1,234.56»: always kopecks, rounded half up
    (Babel would round half to even), never «-0,00»."""
    amount = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount == 0:
        amount = abs(amount)
    language = _locale(current_language())
    text = numbers.format_currency(amount, 'RUB', locale=language)
    # CLDR's narrow symbol, which Babel's patterns cannot ask for: «₽1,234.56» rather than «RUB1,234.56»
    return text.replace(numbers.get_currency_symbol('RUB', locale=language), RUBLE)


def format_number(value: Decimal) -> str:
    """«1234,5» / «1234.5»: every digit `value` has, none added or rounded away, ungrouped as a meter shows it."""
    language = _locale(current_language())
    return numbers.format_decimal(value, locale=language, decimal_quantization=False, group_separator=False)


def format_date(value: date) -> str:
    language = current_language()
    return dates.format_date(value, _DATE_FORMATS[language], locale=_locale(language))


def format_datetime(value: datetime) -> str:
    """The date as `format_date` writes it and the time to the minute, in the zone `value` is in."""
    language = _locale(current_language())
    return f'{format_date(value)} {dates.format_time(value, "short", tzinfo=value.tzinfo, locale=language)}'


def period_label(period: str) -> str:
    """'2026-10' → «Октябрь 2026» / «October 2026», as a heading or a list item starts."""
    label = period_in_sentence(period)
    return label[:1].upper() + label[1:]


def period_in_sentence(period: str) -> str:
    """'2026-10' → «октябрь 2026» / «October 2026», as it reads inside a sentence («Квитанция за октябрь 2026»)."""
    year, month = period.split('-')
    return dates.format_date(date(int(year), int(month), 1), 'LLLL y', locale=_locale(current_language()))
